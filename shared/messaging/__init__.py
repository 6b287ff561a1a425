"""Events between services: topics, envelope, outbox and relay, inbox, consuming, the broker's custody."""
