-- Issue 12: property companies receive hand-offs over signed webhooks (Standard Webhooks) and acknowledge them.
CREATE TABLE webhook_endpoints (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    url              text NOT NULL,
    events           text[] NOT NULL,
    description      text,
    secret           text NOT NULL,
    previous_secret  text,            -- still signed with for 24 h after a rotation
    previous_until   timestamptz,
    disabled_at      timestamptz,     -- a 410 from the endpoint
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_project ON webhook_endpoints (project_id);

-- One row per (endpoint, event), written in the inbox transaction of the event: a crash loses nothing,
-- a duplicate event makes no second delivery. `order_key` is the unit: one unit's events go out in order.
CREATE TABLE webhook_deliveries (
    seq              bigserial PRIMARY KEY,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id),
    event_id         uuid NOT NULL,
    topic            text NOT NULL,
    order_key        text NOT NULL,
    occurred_at      timestamptz NOT NULL,
    body             bytea NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_until    timestamptz,
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, occurred_at);

-- The delivery log: every attempt.
CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    endpoint_id  uuid NOT NULL,
    event_id     uuid NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    status_code  int,
    duration_ms  int NOT NULL,
    error        text
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, id);

-- Hand-offs seen, for the acknowledgement and the 3-day report to the manager.
CREATE TABLE handoffs (
    handoff_id           text PRIMARY KEY,
    project_id           uuid NOT NULL,
    unit_id              text NOT NULL,
    received_at          timestamptz NOT NULL DEFAULT now(),
    acknowledged_at      timestamptz,
    resident_account_id  text,
    reported_unacked     boolean NOT NULL DEFAULT false
);
