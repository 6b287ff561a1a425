"""Signed webhooks for property companies (issue 12): endpoints, durable deliveries, acknowledgements."""
