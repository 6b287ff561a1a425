-- Issue 10, the follow-up standard: the project's settings as project-created carries them (tag list R12,
-- contact cap and quiet hours R15), and a customer closed as lost with its reason (R17).
ALTER TABLE projects ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
ALTER TABLE customers ADD COLUMN closed_at timestamptz, ADD COLUMN close_reason text, ADD COLUMN close_note_enc bytea;
CREATE INDEX followups_customer_at ON followups (customer_id, at);
