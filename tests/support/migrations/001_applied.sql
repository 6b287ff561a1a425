-- What the platform's delivery tests apply: one row per event, in the order the consumer applied them.
CREATE TABLE applied (
    n          bigserial PRIMARY KEY,
    event_id   uuid NOT NULL UNIQUE,
    key        text NOT NULL,
    seq        int NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
