-- Read model of inventory's projects (protection period, time zone, code and name for the hand-off).
CREATE TABLE projects (
    project_id       uuid PRIMARY KEY,
    code             text,
    name             text,
    protection_days  int NOT NULL DEFAULT 20,
    timezone         text NOT NULL DEFAULT 'Asia/Shanghai'
);

-- Staff names as their tokens said them (for "who served you before?").
CREATE TABLE staff (
    staff_id    text PRIMARY KEY,
    name        text NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now()
);

-- Customers. Name and phone encrypted (R18); the phone found by its keyed hash, one per project (R4).
CREATE TABLE customers (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    owner_id         text NOT NULL,
    name_enc         bytea NOT NULL,
    phone_enc        bytea,
    phone_hash       bytea,
    phone_masked     text,
    source           text NOT NULL,
    visitor_type     text NOT NULL DEFAULT 'customer',
    profile          jsonb NOT NULL DEFAULT '{}',
    tags             text[] NOT NULL DEFAULT '{}',
    grade            text CHECK (grade IN ('A','B','C')),
    consent_share    boolean NOT NULL DEFAULT false,
    referred_by      text,
    registered_at    timestamptz NOT NULL DEFAULT now(),
    last_touch_at    timestamptz NOT NULL DEFAULT now(),
    protected_until  timestamptz NOT NULL,
    next_contact_at  timestamptz
);
CREATE UNIQUE INDEX customers_phone_per_project ON customers (project_id, phone_hash) WHERE phone_hash IS NOT NULL;
CREATE INDEX customers_owner ON customers (project_id, owner_id);

CREATE TABLE followups (
    id               uuid PRIMARY KEY,
    customer_id      uuid NOT NULL REFERENCES customers(id),
    consultant_id    text NOT NULL,
    channel          text NOT NULL,
    content_enc      bytea NOT NULL,
    feedback         jsonb,
    next_contact_at  timestamptz NOT NULL,
    at               timestamptz NOT NULL DEFAULT now()
);

-- R9 and R10: every change of owner, with who decided and why.
CREATE TABLE ownership_changes (
    id           bigserial PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id),
    from_owner   text,
    to_owner     text NOT NULL,
    kind         text NOT NULL,
    reason       text,
    decided_by   text,
    at           timestamptz NOT NULL DEFAULT now()
);

-- R1–R3: the inbound call log.
CREATE TABLE calls (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,
    consultant_id  text NOT NULL,
    rang_at        timestamptz NOT NULL,
    answered_at    timestamptz,
    rings          int,
    caller_masked  text,
    asked          text,
    customer_id    uuid
);
CREATE INDEX calls_project_day ON calls (project_id, rang_at);

-- Read models of holds and sales, to place other services' events on a customer's timeline.
CREATE TABLE holds (
    hold_id        uuid PRIMARY KEY,
    unit_id        uuid NOT NULL,
    customer_id    uuid NOT NULL,
    consultant_id  text NOT NULL,
    unit_label     text
);
CREATE TABLE sales (
    sale_id        uuid PRIMARY KEY,
    unit_id        uuid NOT NULL,
    customer_id    uuid NOT NULL,
    credited_to    text,
    credit_reason  text
);

CREATE TABLE timeline (
    id           bigserial PRIMARY KEY,
    customer_id  uuid NOT NULL,
    at           timestamptz NOT NULL,
    kind         text NOT NULL,
    detail       jsonb NOT NULL DEFAULT '{}',
    event_id     uuid UNIQUE
);
CREATE INDEX timeline_customer ON timeline (customer_id, at);
