-- Issue 27: the reminder dispatcher and the webhook deliverer sleep until their next item is due and are woken by
-- the commit that gives them a new one (NOTIFY is delivered at commit), instead of polling every second.
CREATE FUNCTION reminders_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('estate_reminders', '');
    RETURN NULL;
END $$;
CREATE TRIGGER reminders_notify AFTER INSERT OR UPDATE OF send_at ON reminders
    FOR EACH STATEMENT EXECUTE FUNCTION reminders_notify();

CREATE FUNCTION webhook_deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('estate_webhooks', '');
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT OR UPDATE OF next_attempt_at ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION webhook_deliveries_notify();
