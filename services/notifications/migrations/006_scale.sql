-- Issue 23: the reminders and notifications lists by project in their order, and a consultant's customers (who
-- owns whom by owner), so neither list reads a whole table.
CREATE INDEX reminders_project_due ON reminders (project_id, due_at, id);
CREATE INDEX reminders_customer ON reminders (customer_id, due_at, id);
CREATE INDEX reminders_recipient ON reminders (recipient, due_at, id);
CREATE INDEX notifications_project_at ON notifications (project_id, at, id);
CREATE INDEX customer_owners_owner ON customer_owners (owner_id);
