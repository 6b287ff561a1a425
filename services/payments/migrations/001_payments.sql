-- Read models: projects (cash rules, time zone), live holds (R22), sales (schedules).
CREATE TABLE projects (
    project_id         uuid PRIMARY KEY,
    code               text NOT NULL,
    cash_limit         numeric(14,2) NOT NULL DEFAULT 10000.00,
    cash_banking_days  int NOT NULL DEFAULT 2,
    timezone           text NOT NULL DEFAULT 'Asia/Shanghai'
);
CREATE TABLE holds (
    hold_id        uuid PRIMARY KEY,
    unit_id        uuid NOT NULL,
    project_id     uuid NOT NULL,
    customer_id    uuid NOT NULL,
    consultant_id  text NOT NULL,
    unit_number    text NOT NULL,
    expires_at     timestamptz NOT NULL,
    live           boolean NOT NULL DEFAULT true
);
-- unit-released may be consumed before unit-locked (different topics): remember releases either way.
CREATE TABLE released_holds (
    hold_id  uuid PRIMARY KEY
);
CREATE TABLE sales (
    sale_id      uuid PRIMARY KEY,
    unit_id      uuid NOT NULL,
    project_id   uuid NOT NULL,
    customer_id  uuid NOT NULL,
    hold_id      uuid,
    price        numeric(14,2) NOT NULL
);

-- Deposits (定金) and their two-person verification (R23).
CREATE TABLE deposits (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL,
    unit_id             uuid NOT NULL,
    hold_id             uuid NOT NULL,
    customer_id         uuid NOT NULL,
    amount              numeric(14,2) NOT NULL CHECK (amount > 0),
    currency            text NOT NULL DEFAULT 'CNY',
    method              text NOT NULL,
    source_of_funds     text NOT NULL,
    reference           text,
    cheque_no           text,
    note_serials        text[] NOT NULL DEFAULT '{}',
    payer               jsonb,
    status              text NOT NULL DEFAULT 'pending_verification',
    taken_by            text NOT NULL,
    taken_at            timestamptz NOT NULL DEFAULT now(),
    first_verifier      text,
    second_verifier     text,
    verified_at         timestamptz,
    receipt_no          text UNIQUE,
    banking_due_at      timestamptz,
    banking_overdue     boolean NOT NULL DEFAULT false,
    banked_at           timestamptz,
    bank_ref            text,
    escorts             text[],
    refunded_at         timestamptz,
    refund_reason       text
);
CREATE INDEX deposits_banking ON deposits (banking_due_at) WHERE method = 'cash' AND banked_at IS NULL;

-- Gap-free receipt numbers per project: the counter row is updated in the verifying transaction.
CREATE TABLE receipt_counters (
    project_id  uuid PRIMARY KEY,
    prefix      text NOT NULL,  -- fixed at the first receipt, so a project's numbers never change form
    last        int NOT NULL
);

-- R28: what is due for a sale, and what was paid.
CREATE TABLE schedule (
    id                uuid PRIMARY KEY,
    sale_id           uuid NOT NULL,
    kind              text NOT NULL,
    amount            numeric(14,2) NOT NULL,
    due_date          date NOT NULL,
    paid              numeric(14,2) NOT NULL DEFAULT 0,
    overdue_reported  boolean NOT NULL DEFAULT false,
    UNIQUE (sale_id, kind)
);
CREATE TABLE payments (
    id           uuid PRIMARY KEY,
    sale_id      uuid NOT NULL,
    kind         text NOT NULL,
    amount       numeric(14,2) NOT NULL,
    method       text NOT NULL,
    reference    text,
    received_by  text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);

-- R35: every money movement, append-only. Signed amounts: money in is positive, money out negative.
CREATE TABLE ledger (
    id          bigserial PRIMARY KEY,
    project_id  uuid NOT NULL,
    sale_id     uuid,
    deposit_id  uuid,
    hold_id     uuid,
    kind        text NOT NULL,
    amount      numeric(14,2) NOT NULL,
    actor       text,
    ref         text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_sale ON ledger (sale_id);
CREATE INDEX ledger_hold ON ledger (hold_id);
CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only (R35)';
END $$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

CREATE TABLE mortgage_appointments (
    id         uuid PRIMARY KEY,
    sale_id    uuid NOT NULL,
    at         timestamptz NOT NULL,
    place      text NOT NULL,
    documents  text[] NOT NULL,
    booked_by  text NOT NULL
);
