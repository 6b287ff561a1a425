-- Issue 10, R31: what leads hears of a sale after subscription, to know when the consultant's duty ends and the
-- deal belongs to after-sales (down payment paid, contract signed, mortgage papers in; or handed over).
ALTER TABLE sales
    ADD COLUMN down_payment_due    numeric(14,2),
    ADD COLUMN down_payment_paid   numeric(14,2) NOT NULL DEFAULT 0,
    ADD COLUMN mortgage_papers_at  timestamptz,
    ADD COLUMN handed_over_at      timestamptz,
    ADD COLUMN aftersales_since    timestamptz;
CREATE INDEX sales_in_sales ON sales (sale_id) WHERE aftersales_since IS NULL;

-- R33: the return visit after handover, due `return_visit_days` later, recorded once (what was said is sealed).
CREATE TABLE return_visits (
    id uuid PRIMARY KEY, sale_id uuid NOT NULL UNIQUE, project_id uuid NOT NULL,
    customer_id uuid NOT NULL REFERENCES customers(id), unit_id uuid NOT NULL,
    handed_over_at timestamptz NOT NULL, due_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'done')),
    outcome_enc bytea, notes_enc bytea, done_by text, done_at timestamptz
);
CREATE INDEX return_visits_due ON return_visits (project_id, due_at, id);

-- R13: one digest of overdue follow-ups per project and local day.
CREATE TABLE digests (
    project_id  uuid NOT NULL,
    day         date NOT NULL,
    sent_at     timestamptz NOT NULL,
    overdue     int NOT NULL,
    PRIMARY KEY (project_id, day)
);

-- R33: news of a new project of the group, once per owner (one person with flats in two projects: once), and
-- counted as a contact on the day it is sent (R15).
CREATE TABLE owner_news (
    new_project_id  uuid NOT NULL,
    person_key      bytea NOT NULL,
    customer_id     uuid NOT NULL REFERENCES customers(id),
    send_at         timestamptz NOT NULL,
    PRIMARY KEY (new_project_id, person_key)
);
CREATE INDEX owner_news_customer ON owner_news (customer_id, send_at);
