-- Issue 19: nothing of a webhook rests in clear (R18).
-- Endpoint secrets become bytes: sealed (`sealed:` + Fernet token, the key derived from ESTATE_PII_KEY) from now on;
-- the rows of the release before keep their clear bytes until the service's sealing step reaches them.
ALTER TABLE webhook_endpoints
    ALTER COLUMN secret TYPE bytea USING convert_to(secret, 'UTF8'),
    ALTER COLUMN previous_secret TYPE bytea USING convert_to(previous_secret, 'UTF8');

-- Which hand-off a delivery carries: only an endpoint that was sent a hand-off may acknowledge it. Filled here for
-- the deliveries written before (their bodies are still in clear: sealing starts with this release).
ALTER TABLE webhook_deliveries ADD COLUMN handoff_id text;
UPDATE webhook_deliveries SET handoff_id = convert_from(body, 'UTF8')::jsonb #>> '{data,handoff_id}'
 WHERE topic = 'estate.property.handoff.v1' AND substring(body FROM 1 FOR 7) <> 'sealed:'::bytea;
CREATE INDEX webhook_deliveries_handoff ON webhook_deliveries (handoff_id) WHERE handoff_id IS NOT NULL;

-- The bodies the sealing step has still to seal (empty once it is done).
CREATE INDEX webhook_deliveries_unsealed ON webhook_deliveries (seq)
 WHERE substring(body FROM 1 FOR 7) <> 'sealed:'::bytea;

-- Answers kept for an Idempotency-Key replay never hold a secret any more: those already kept lose it, as new ones
-- are kept (the secret null, and named in `withheld`).
UPDATE idempotency_keys
   SET body = convert_to((convert_from(body, 'UTF8')::jsonb
                          || '{"secret": null, "withheld": ["secret"]}'::jsonb)::text, 'UTF8')
 WHERE method = 'POST' AND (path = '/v1/webhooks' OR path LIKE '/v1/webhooks/%/rotate-secret')
   AND status BETWEEN 200 AND 299 AND convert_from(body, 'UTF8') LIKE '{%"secret"%';
