-- Issue 19, R34 with R5: a referral that must never be rewarded is kept, with the reason as its status, so the
-- manager sees it: `key_visitor` (developer staff or a competitor's agent on either side) or `self_referral` (the
-- same person on both sides: one customer, one phone, or a phoneless registration under the referrer's name).
ALTER TABLE referrals DROP CONSTRAINT referrals_status_check;
ALTER TABLE referrals ADD CONSTRAINT referrals_status_check
    CHECK (status IN ('registered', 'contracted', 'rewarded', 'key_visitor', 'self_referral'));
