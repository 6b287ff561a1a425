-- Issue 23: the weekly review's counts (R2, R17) read from indexes alone: each part counts the week's rows of one
-- table per consultant, and with the consultant (and what the count filters on) in the index, a row costs an index
-- entry, not a heap page. The week's new customers, its calls (and those answered within three rings) and its lost
-- customers by reason; `calls_project_day` and `customers_closed` keep their names and keys.
CREATE INDEX customers_new_by_owner ON customers (project_id, registered_at) INCLUDE (owner_id)
    WHERE visitor_type = 'customer';
DROP INDEX calls_project_day;
CREATE INDEX calls_project_day ON calls (project_id, rang_at) INCLUDE (consultant_id, answered_at, rings);
DROP INDEX customers_closed;
CREATE INDEX customers_closed ON customers (project_id, closed_at) INCLUDE (owner_id, close_reason)
    WHERE closed_at IS NOT NULL;
