-- Issue 10, R9 (业务交叉): a consultant who is not a customer's owner claims them; the manager decides.
CREATE TABLE claims (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL,
    customer_id     uuid NOT NULL REFERENCES customers(id),
    claimant_id     text NOT NULL,
    owner_id        text NOT NULL,          -- the owner when the claim was filed
    reason          text NOT NULL,
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    winner_id       text,
    decision_reason text,
    decided_by      text,
    filed_at        timestamptz NOT NULL,
    decided_at      timestamptz
);
CREATE UNIQUE INDEX claims_one_open ON claims (customer_id, claimant_id) WHERE status = 'open';
CREATE INDEX claims_project ON claims (project_id, status, filed_at, id);
