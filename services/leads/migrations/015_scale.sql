-- Issue 23: every list and job costs what its answer costs, not what the tables hold.

-- R13: a customer's follow-up due time (the agreed next contact or the grade's cadence run out, whichever comes
-- first; domain `followup_due`), stored by every write that changes its inputs and indexed, so the overdue list,
-- `?overdue=true` and the digest read it by index instead of computing it in Python over every customer. The
-- cadence is elapsed time (hours, as the domain adds it in UTC), which is why the function may say IMMUTABLE.
CREATE FUNCTION followup_due(last_touch timestamptz, grade text, next_contact timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN grade IS NULL THEN next_contact ELSE least(next_contact, last_touch + make_interval(
        hours => CASE grade WHEN 'A' THEN 7 * 24 WHEN 'B' THEN 14 * 24 ELSE 30 * 24 END)) END
$$;
ALTER TABLE customers ADD COLUMN followup_due_at timestamptz
    GENERATED ALWAYS AS (followup_due(last_touch_at, grade, next_contact_at)) STORED;
CREATE INDEX customers_due ON customers (project_id, followup_due_at, id) INCLUDE (owner_id)
    WHERE closed_at IS NULL AND visitor_type = 'customer';
DROP INDEX IF EXISTS customers_next_contact;

-- R8: the customer list, newest first, a manager's (the project) or a consultant's (their own); the visitor
-- register (R5) reads a day of registrations from the first.
CREATE INDEX customers_registered ON customers (project_id, registered_at, id);
CREATE INDEX customers_owner_registered ON customers (project_id, owner_id, registered_at, id);
DROP INDEX IF EXISTS customers_owner;
-- R17: the week's lost customers.
CREATE INDEX customers_closed ON customers (project_id, closed_at) WHERE closed_at IS NOT NULL;

-- R11: the needs customers ask for, counted when a profile changes (the weekly review reads the counts, it no
-- longer opens every sealed profile of the week). Counted per project, need and quarter of an hour of
-- registration (any time zone's week is a whole number of quarters). `needs_counted_at` is the registration time
-- a customer's needs are counted under: NULL for rows from before this migration, and different from
-- `registered_at` when that was moved by hand; the index finds such rows, and the review and the sealing job
-- count them (the review for its project first, so it never reads a stale count).
CREATE TABLE needs_asked (
    project_id     uuid NOT NULL,
    registered_in  timestamptz NOT NULL,
    need           text NOT NULL,
    customers      int NOT NULL,
    PRIMARY KEY (project_id, registered_in, need)
);
ALTER TABLE customers ADD COLUMN needs_counted_at timestamptz;
-- A column of its own (not the comparison in the index's condition), so the planner knows how few rows wait.
ALTER TABLE customers ADD COLUMN needs_to_count boolean
    GENERATED ALWAYS AS (needs_counted_at IS DISTINCT FROM registered_at) STORED;
CREATE INDEX customers_needs_to_count ON customers (project_id) WHERE needs_to_count;

-- The week's figures (R2, R13, R17) by time, each table read for the week only.
CREATE INDEX followups_at ON followups (at) INCLUDE (customer_id, consultant_id, channel);
CREATE INDEX holds_locked ON holds (locked_at);
CREATE INDEX timeline_kind_at ON timeline (kind, at);
-- After-sales customers are no longer chased (R31): the overdue list leaves them out by this index.
CREATE INDEX sales_aftersales_customer ON sales (customer_id) WHERE aftersales_since IS NOT NULL;

-- R9: claims, all of a project's by filing time; what each side did (calls by customer).
CREATE INDEX claims_project_filed ON claims (project_id, filed_at, id);
CREATE INDEX calls_customer ON calls (customer_id, consultant_id) WHERE customer_id IS NOT NULL;
-- R7: one consultant's call-backs by due time.
CREATE INDEX callbacks_consultant_due ON callbacks (project_id, consultant_id, due_at, id) WHERE status = 'scheduled';

-- The hand-off's acknowledgement finds its customer by the hand-off id on the timeline.
CREATE INDEX timeline_handoff ON timeline ((detail->>'handoff_id')) WHERE kind = 'handed_over';

-- R18: the sealing jobs find what is left to seal without reading every row.
CREATE INDEX customers_plain_profile ON customers (id) WHERE profile_enc IS NULL;
CREATE INDEX customers_plain_tags ON customers (id) WHERE tags_enc IS NULL;
CREATE INDEX followups_plain_feedback ON followups (id) WHERE feedback IS NOT NULL;
CREATE INDEX calls_plain_notes ON calls (id) WHERE asked IS NOT NULL;

-- R13: how many customers each consultant has to chase who have a follow-up due time at all (open, a customer, not
-- passed to after-sales), kept by the writes themselves (statement triggers below, so any write counts, a test's
-- UPDATE as well as a bulk move). The weekly review's overdue column is this count less the few whose due time is
-- still ahead (read by index): its cost follows the customers not yet due, not every overdue customer ever.
CREATE TABLE chased (
    project_id  uuid NOT NULL,
    owner_id    text NOT NULL,
    customers   int NOT NULL,
    PRIMARY KEY (project_id, owner_id)
);
-- Rows of one statement, each +1 or -1 where it counts: open, a customer, a due time, and no sale of its customer
-- in after-sales (sales' state is the same for a row's old and new version within one statement on customers).
CREATE FUNCTION chased_rows(ids uuid[], projects uuid[], owners text[], counts boolean[], sign int[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO chased (project_id, owner_id, customers)
    SELECT r.project_id, r.owner_id, sum(r.sign) FROM unnest(ids, projects, owners, counts, sign)
        AS r(id, project_id, owner_id, counts, sign)
     WHERE r.counts AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = r.id AND s.aftersales_since IS NOT NULL)
     GROUP BY 1, 2 HAVING sum(r.sign) <> 0 ORDER BY 1, 2
    ON CONFLICT (project_id, owner_id) DO UPDATE SET customers = chased.customers + EXCLUDED.customers
$$;
CREATE FUNCTION chased_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chased_rows(array_agg(id), array_agg(project_id), array_agg(owner_id), array_agg(closed_at IS NULL
        AND visitor_type = 'customer' AND followup_due_at IS NOT NULL), array_agg(1)) FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION chased_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chased_rows(array_agg(id), array_agg(project_id), array_agg(owner_id), array_agg(closed_at IS NULL
        AND visitor_type = 'customer' AND followup_due_at IS NOT NULL), array_agg(-1)) FROM old_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION chased_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM chased_rows(array_agg(id), array_agg(project_id), array_agg(owner_id), array_agg(counts), array_agg(sign))
       FROM (SELECT id, project_id, owner_id, closed_at IS NULL AND visitor_type = 'customer'
                    AND followup_due_at IS NOT NULL AS counts, -1 AS sign FROM old_rows
             UNION ALL
             SELECT id, project_id, owner_id, closed_at IS NULL AND visitor_type = 'customer'
                    AND followup_due_at IS NOT NULL, 1 FROM new_rows) AS changed;
    RETURN NULL;
END $$;
CREATE TRIGGER chased_inserted AFTER INSERT ON customers REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chased_inserted();
CREATE TRIGGER chased_updated AFTER UPDATE ON customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chased_updated();
CREATE TRIGGER chased_deleted AFTER DELETE ON customers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chased_deleted();

-- A customer whose first sale passes to after-sales (R31) is no longer chased: out of the count (and back in, should
-- that ever be undone). `before` is whether the customer was in after-sales before the statement.
CREATE FUNCTION chased_sales_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chased (project_id, owner_id, customers)
    SELECT c.project_id, c.owner_id, sum(CASE WHEN now_in THEN -1 ELSE 1 END) FROM (
        SELECT x.customer_id,
               EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = x.customer_id AND s.aftersales_since IS NOT NULL)
                   AS now_in,
               EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = x.customer_id AND s.aftersales_since IS NOT NULL
                         AND s.sale_id NOT IN (SELECT sale_id FROM new_rows))
               OR EXISTS (SELECT 1 FROM old_rows o WHERE o.customer_id = x.customer_id AND o.aftersales_since IS NOT NULL)
                   AS was_in
          FROM (SELECT DISTINCT customer_id FROM new_rows) AS x) AS moved
    JOIN customers c ON c.id = moved.customer_id
     WHERE moved.now_in <> moved.was_in
       AND c.closed_at IS NULL AND c.visitor_type = 'customer' AND c.followup_due_at IS NOT NULL
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (project_id, owner_id) DO UPDATE SET customers = chased.customers + EXCLUDED.customers;
    RETURN NULL;
END $$;
CREATE FUNCTION chased_sales_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chased (project_id, owner_id, customers)
    SELECT c.project_id, c.owner_id, -count(*) FROM (SELECT DISTINCT customer_id FROM new_rows
        WHERE aftersales_since IS NOT NULL) AS x JOIN customers c ON c.id = x.customer_id
     WHERE c.closed_at IS NULL AND c.visitor_type = 'customer' AND c.followup_due_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = x.customer_id AND s.aftersales_since IS NOT NULL
                         AND s.sale_id NOT IN (SELECT sale_id FROM new_rows))
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (project_id, owner_id) DO UPDATE SET customers = chased.customers + EXCLUDED.customers;
    RETURN NULL;
END $$;
CREATE TRIGGER chased_sales_updated AFTER UPDATE ON sales REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chased_sales_changed();
CREATE TRIGGER chased_sales_inserted AFTER INSERT ON sales REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION chased_sales_inserted();
INSERT INTO chased (project_id, owner_id, customers)
SELECT c.project_id, c.owner_id, count(*) FROM customers c
 WHERE c.closed_at IS NULL AND c.visitor_type = 'customer' AND c.followup_due_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.id AND s.aftersales_since IS NOT NULL)
 GROUP BY 1, 2;
