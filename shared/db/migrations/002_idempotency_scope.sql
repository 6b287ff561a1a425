-- Idempotency keys belong to a person (the token's `sub`), a method and a path, not to the literal
-- Authorization header (a refreshed token must replay, not run again); a hash of the body notices the same
-- key reused for a different request. Keys made under the old scope cannot be matched: they are dropped.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys ADD COLUMN request_hash text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_key_length CHECK (length(key) <= 255);
