-- Issue 8 (R18): tags and call notes rest sealed like the rest of a customer's personal data. The sealing job
-- moves rows written in plain into the new columns.
ALTER TABLE customers ADD COLUMN tags_enc bytea;
ALTER TABLE calls ADD COLUMN asked_enc bytea;
