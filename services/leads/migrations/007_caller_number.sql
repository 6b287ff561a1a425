-- Issue 10, R1/R3: the caller's number is kept sealed (not only masked), so a caller who gave no name can be
-- registered later from the call log.
ALTER TABLE calls ADD COLUMN caller_phone_enc bytea;
