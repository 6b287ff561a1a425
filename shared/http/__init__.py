"""The HTTP edge: refusals, requests, auth and tokens, middleware, idempotency, paging, fields, hot routes."""
