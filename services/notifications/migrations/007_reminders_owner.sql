-- Issue 23: a consultant's reminders (R8: those about their customers) read by index in due order. The owner of a
-- reminder's customer is stored on the reminder (`owner_id`, NULL while this service has not heard of the
-- customer), kept by the writes themselves: a reminder takes its customer's owner when written, and a customer
-- whose owner is learnt or changes (customer_owners, from `customer-registered` and `ownership-changed`) passes it
-- to their reminders. Before this, the list read the project's reminders in due order and looked each one's owner
-- up until the page filled: its cost followed the project's consultants, not the page.
ALTER TABLE reminders ADD COLUMN owner_id text;
UPDATE reminders r SET owner_id = o.owner_id FROM customer_owners o WHERE o.customer_id = r.customer_id;
CREATE INDEX reminders_owner_due ON reminders (owner_id, due_at, id) WHERE owner_id IS NOT NULL;

CREATE FUNCTION reminders_take_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner_id := (SELECT owner_id FROM customer_owners WHERE customer_id = NEW.customer_id);
    RETURN NEW;
END $$;
CREATE TRIGGER reminders_take_owner BEFORE INSERT OR UPDATE OF customer_id ON reminders
    FOR EACH ROW EXECUTE FUNCTION reminders_take_owner();

CREATE FUNCTION reminders_follow_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reminders r SET owner_id = n.owner_id FROM new_rows n
     WHERE r.customer_id = n.customer_id AND r.owner_id IS DISTINCT FROM n.owner_id;
    RETURN NULL;
END $$;
CREATE TRIGGER reminders_owner_learnt AFTER INSERT ON customer_owners REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reminders_follow_owner();
CREATE TRIGGER reminders_owner_changed AFTER UPDATE ON customer_owners REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reminders_follow_owner();
