"""Every Prometheus metric the services export; names are fixed here and nowhere else."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "estate_http_requests_total", "HTTP requests by route and status", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "estate_http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EVENTS_PUBLISHED = Counter(
    "estate_events_published_total", "Events published by the outbox relay", ["service", "topic"]
)
EVENTS_CONSUMED = Counter(
    "estate_events_consumed_total", "Events consumed, by outcome (applied, duplicate)", ["service", "topic", "outcome"]
)
EVENTS_RETRIED = Counter("estate_events_retried_total", "Handler attempts retried after an error", ["service", "topic"])
EVENTS_DEAD_LETTERED = Counter(
    "estate_events_dead_lettered_total", "Messages sent to <topic>.dlq", ["service", "topic", "reason"]
)
OUTBOX_BACKLOG = Gauge("estate_outbox_backlog", "Unpublished outbox rows", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "estate_outbox_oldest_unpublished_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
# What the broker holds for us (shared/redelivery.py, issue 19)
BROKER_LOST = Counter(
    "estate_broker_lost_total", "Times the broker came back without our published events (replayed)", ["service"]
)
BROKER_REPLAYING = Gauge(
    "estate_broker_replaying", "1 while events a lost broker held are published again", ["service"]
)
OUTBOX_UNCONFIRMED = Gauge(
    "estate_outbox_unconfirmed", "Published events some consumer group has not yet committed", ["service"]
)
CONSUMER_LAG = Gauge("estate_consumer_lag", "Messages behind the partition end", ["service", "topic", "partition"])
COMMIT_TO_APPLY = Histogram(
    "estate_event_commit_to_apply_seconds",
    "From the producer's commit (occurred_at) to the consumer's commit",
    ["service", "topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FUNNEL = Counter(
    "estate_funnel_events_total",
    "Sales funnel steps per project (registered, held, deposit_verified, subscribed, contracted, "
    "handed_over, handed_off)",
    ["project_id", "stage"],
)
SWEEPER_LAST_RUN = Gauge(
    "estate_hold_sweeper_last_run_timestamp_seconds", "When the hold-expiry sweeper last finished a pass", ["service"]
)
HOLDS_EXPIRED = Counter("estate_holds_expired_total", "Holds released by the expiry sweeper", ["service"])
DEPENDENCY_UP = Gauge(
    "estate_dependency_up", "1 while a dependency (database, broker) is reachable", ["service", "dependency"]
)

# Webhooks to property companies (notifications, issue 12)
WEBHOOK_DELIVERIES = Counter(
    "estate_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["endpoint_id", "outcome"]
)
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "estate_webhook_attempt_seconds",
    "Time of one webhook delivery attempt",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
WEBHOOK_OLDEST_PENDING = Gauge(
    "estate_webhook_oldest_pending_seconds", "Age of the oldest undelivered event per webhook endpoint", ["endpoint_id"]
)
BOARD_VIEWERS = Gauge(
    "estate_board_viewers", "Board screens connected to this process's stream (issue 11)", ["service"]
)
BOARD_PUSH = Histogram(
    "estate_board_push_seconds",
    "From a unit change's transaction to its hand-over to this process's board viewers",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
HOLD_GROUP_SIZE = Histogram(
    "estate_hold_group_size",
    "Hold attempts answered by one statement (issue 13): their reads, and the takes of those that may win",
    ["service", "statement"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
HOLD_GROUP_FAILURES = Counter(
    "estate_hold_group_failures_total",
    "Group take statements that failed (a deadlock PostgreSQL broke, say); their attempts each decided alone",
    ["service"],
)
