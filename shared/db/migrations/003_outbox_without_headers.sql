-- The outbox's `headers` column was always '{}': everything a consumer needs travels in the envelope
-- (correlation and causation ids included), so the column goes.
ALTER TABLE outbox DROP COLUMN IF EXISTS headers;
