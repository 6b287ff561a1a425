-- R18 (issue 19): a claim's reasons and an ownership change's reason are staff's free text about a customer, and such
-- text names the customer ("met Zhang San at the launch event"): sealed like every other note. Rows from before stay
-- readable in the plain columns until the sealing job moves them; the timeline no longer repeats the reason.
ALTER TABLE claims ADD COLUMN reason_enc bytea, ADD COLUMN decision_reason_enc bytea, ALTER COLUMN reason DROP NOT NULL;
ALTER TABLE ownership_changes ADD COLUMN reason_enc bytea;
UPDATE timeline SET detail = detail - 'reason' WHERE kind = 'owner_changed' AND detail ? 'reason';
CREATE INDEX claims_plain_reason ON claims (id) WHERE reason IS NOT NULL OR decision_reason IS NOT NULL;
CREATE INDEX ownership_changes_plain_reason ON ownership_changes (id) WHERE reason IS NOT NULL;
