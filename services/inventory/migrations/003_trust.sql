-- Issue 8. Who owns whom (R8), from customer-registered and ownership-changed (shared/ownership.py).
CREATE TABLE customer_owners (
    customer_id  uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    owner_id     text NOT NULL,
    changed_at   timestamptz NOT NULL
);

-- R21: a quote is kept for 7 days; a subscription that names it takes its price.
CREATE TABLE quotes (
    id          uuid PRIMARY KEY,
    unit_id     uuid NOT NULL REFERENCES units (id),
    project_id  uuid NOT NULL,
    price       numeric(14,2) NOT NULL,
    body        jsonb NOT NULL,
    made_by     text NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
ALTER TABLE sales ADD COLUMN quote_id uuid REFERENCES quotes (id);
-- 退订: who cancelled, when and why.
ALTER TABLE sales ADD COLUMN cancellation jsonb;
