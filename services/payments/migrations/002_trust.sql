-- Issue 8. One live deposit per hold, whatever the race: a second one cannot be stored.
CREATE UNIQUE INDEX deposits_one_live_per_hold ON deposits (hold_id)
    WHERE status IN ('pending_verification', 'verified');

-- Who owns whom (R8): from customer-registered and ownership-changed (shared/ownership.py).
CREATE TABLE customer_owners (
    customer_id  uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    owner_id     text NOT NULL,
    changed_at   timestamptz NOT NULL
);

-- 退订: a cancelled sale is remembered even when sale-cancelled overtakes subscription-signed.
CREATE TABLE cancelled_sales (
    sale_id   uuid PRIMARY KEY,
    hold_id   uuid,
    reason    text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE schedule ADD COLUMN cancelled boolean NOT NULL DEFAULT false;

-- A third party's name (R18) rests sealed; the sealing job moves plain rows into payer_enc.
ALTER TABLE deposits ADD COLUMN payer_enc bytea;
