-- Issue 10, R34 (老带新): a customer referred by an owner; both are rewarded when the referred buyer's contract is
-- signed (status registered → rewarded, the reward named by the project's setting at that moment).
CREATE TABLE referrals (
    id                    uuid PRIMARY KEY,
    project_id            uuid NOT NULL,
    referrer_customer_id  uuid NOT NULL REFERENCES customers(id),
    customer_id           uuid NOT NULL UNIQUE REFERENCES customers(id),
    status                text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'contracted', 'rewarded')),
    reward                text,
    registered_at         timestamptz NOT NULL,
    contracted_at         timestamptz,
    rewarded_at           timestamptz
);
CREATE INDEX referrals_project ON referrals (project_id, registered_at, id);
