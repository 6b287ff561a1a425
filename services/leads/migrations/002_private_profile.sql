-- R18: the profile (occupation, household, budget) and follow-up feedback are personal data too;
-- from this version they are stored encrypted beside the old plain columns, which stay empty.
ALTER TABLE customers ADD COLUMN profile_enc bytea;
ALTER TABLE followups ADD COLUMN feedback_enc bytea;

-- The hand-off falls back on what leads saw earlier when an event lacks it: the contract number
-- from contract-signed, the unit's building and number from unit-locked.
ALTER TABLE sales ADD COLUMN contract_no text;
ALTER TABLE holds ADD COLUMN building text, ADD COLUMN number text, ADD COLUMN locked_at timestamptz;
CREATE INDEX holds_unit ON holds (unit_id, locked_at);

-- R13: the list of overdue follow-ups is asked for per project.
CREATE INDEX customers_next_contact ON customers (project_id, next_contact_at);
