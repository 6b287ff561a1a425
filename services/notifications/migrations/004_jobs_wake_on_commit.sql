-- Issue 27: the reminder dispatcher and the webhook deliverer sleep until their next item is due and are woken by
-- the commit that gives them a new one (NOTIFY is delivered at commit), instead of polling every second. One
-- function, told its channel by each trigger.
CREATE FUNCTION notify_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END $$;
CREATE TRIGGER reminders_notify AFTER INSERT OR UPDATE OF send_at ON reminders
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('estate_reminders');
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT OR UPDATE OF next_attempt_at ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('estate_webhooks');
