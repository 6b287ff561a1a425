-- Issue 23: a consultant's messages (R8: those about their customers) read by index, newest first, as their
-- reminders are (migration 007): a message carries the owner of its reminder's customer (`owner_id`), taken from
-- the reminder when recorded and passed on whenever the reminder's owner changes. Before this, the list read the
-- project's messages newest first and looked each one's reminder and owner up until the page filled.
ALTER TABLE notifications ADD COLUMN owner_id text;
UPDATE notifications n SET owner_id = r.owner_id FROM reminders r WHERE r.id = n.reminder_id AND r.owner_id IS NOT NULL;
CREATE INDEX notifications_owner_at ON notifications (owner_id, at, id) WHERE owner_id IS NOT NULL;
CREATE INDEX notifications_reminder ON notifications (reminder_id);

CREATE FUNCTION notifications_take_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner_id := (SELECT owner_id FROM reminders WHERE id = NEW.reminder_id);
    RETURN NEW;
END $$;
CREATE TRIGGER notifications_take_owner BEFORE INSERT OR UPDATE OF reminder_id ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_take_owner();

CREATE FUNCTION notifications_follow_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE notifications SET owner_id = NEW.owner_id WHERE reminder_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER notifications_follow_owner AFTER UPDATE OF owner_id ON reminders
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) EXECUTE FUNCTION notifications_follow_owner();
