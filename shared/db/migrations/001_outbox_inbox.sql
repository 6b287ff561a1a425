-- Transactional outbox: a state change and its events commit together; the relay publishes
-- rows in id order per key and marks them. Published rows are kept for replay.
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    topic         text NOT NULL,
    key           text NOT NULL,
    payload       bytea NOT NULL,
    headers       jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX outbox_created ON outbox (created_at);

-- Inbox: ids of events this service has applied, recorded in the same transaction as the effect.
CREATE TABLE inbox (
    event_id     uuid PRIMARY KEY,
    topic        text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Idempotency-Key: the first answer to a creating POST, returned again on a retry.
CREATE TABLE idempotency_keys (
    key          text NOT NULL,
    principal    text NOT NULL,
    method       text NOT NULL,
    path         text NOT NULL,
    status       int NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, key)
);

-- Wake the relay at commit time (NOTIFY is delivered on commit; one per statement is plenty).
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('estate_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
