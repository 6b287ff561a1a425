-- Issue 8. A reminder of something already done is cancelled (kept for the record, never sent).
ALTER TABLE reminders DROP CONSTRAINT reminders_status_check;
ALTER TABLE reminders ADD CONSTRAINT reminders_status_check
    CHECK (status IN ('scheduled', 'sent', 'failed', 'cancelled'));
ALTER TABLE reminders ADD COLUMN unit_id uuid;
ALTER TABLE reminders ADD COLUMN cancelled_reason text;
CREATE INDEX reminders_sale ON reminders (sale_id) WHERE status = 'scheduled';
CREATE INDEX reminders_unit ON reminders (unit_id) WHERE status = 'scheduled';

-- Cancellations and payments may arrive before the reminders they settle (other topics): remembered.
CREATE TABLE cancelled_sales (
    sale_id  uuid PRIMARY KEY,
    reason   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE down_payments (
    sale_id  uuid PRIMARY KEY,
    amount   numeric(14,2),
    paid     numeric(14,2) NOT NULL DEFAULT 0
);

-- Who owns whom (R8), from customer-registered and ownership-changed (shared/ownership.py).
CREATE TABLE customer_owners (
    customer_id  uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    owner_id     text NOT NULL,
    changed_at   timestamptz NOT NULL
);
