-- v1.2, the group (issue 21), leads' part.
-- A consultant leaves a project (离职/调岗 交接): each departure is kept (who, decided by whom, why — sealed like every
-- note, R18 —, how many customers moved), and a consultant who left is nobody's heir afterwards unless seen again.
CREATE TABLE departures (
    id                uuid PRIMARY KEY,
    project_id        uuid NOT NULL,
    staff_id          text NOT NULL,
    to_consultant_id  text,
    moved             int NOT NULL,
    reason_enc        bytea NOT NULL,
    decided_by        text NOT NULL,
    at                timestamptz NOT NULL
);
CREATE INDEX departures_staff ON departures (project_id, staff_id, at);
-- A departure moves the book's scheduled call-backs, and reads who held units lately and who registered whom (a
-- customer's first owner: the first change's `from_owner`).
CREATE INDEX callbacks_scheduled_customer ON callbacks (customer_id) WHERE status = 'scheduled';
CREATE INDEX holds_locked_at ON holds (locked_at);
CREATE INDEX ownership_changes_customer ON ownership_changes (customer_id, at, id);

-- Lookup across the group's projects and referrals by phone find a person by the phone's keyed hash alone.
CREATE INDEX customers_phone_hash ON customers (phone_hash) WHERE phone_hash IS NOT NULL;

-- R34 by phone: the referring owner may live in another project of the group (`referrer_project_id`); a referrer
-- who is no owner is kept with the phone's hash and masked form only, and never rewarded (`not_an_owner`).
ALTER TABLE referrals
    ADD COLUMN referrer_project_id    uuid,
    ADD COLUMN referrer_phone_hash    bytea,
    ADD COLUMN referrer_phone_masked  text,
    ALTER COLUMN referrer_customer_id DROP NOT NULL;
UPDATE referrals SET referrer_project_id = project_id WHERE referrer_customer_id IS NOT NULL;
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check
    CHECK (status IN ('registered', 'contracted', 'rewarded', 'key_visitor', 'self_referral', 'not_an_owner'));
CREATE INDEX referrals_referrer_project ON referrals (referrer_project_id, registered_at, id);
