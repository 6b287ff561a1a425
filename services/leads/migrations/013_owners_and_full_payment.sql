-- Issue 24, R34 made whole: only an owner (a customer of the project whose flat was handed over) is rewarded for a
-- referral; a referral by anyone else is kept, with `not_an_owner` as its status, and never rewarded.
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check
    CHECK (status IN ('registered', 'contracted', 'rewarded', 'key_visitor', 'self_referral', 'not_an_owner'));
CREATE INDEX sales_owner ON sales (customer_id) WHERE handed_over_at IS NOT NULL;

-- Issue 24, R31 made whole: a buyer who pays the whole price without a mortgage passes to after-sales once paid and
-- signed; payments says when nothing is outstanding any more.
ALTER TABLE sales ADD COLUMN paid_in_full_at timestamptz;
