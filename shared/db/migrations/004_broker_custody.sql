-- What the broker holds for this service (shared/redelivery.py, issue 19): where each published row went
-- (partition, offset) and in which order the relay published it, so the rows no consumer group has confirmed can
-- be published again when the broker lost its log.
ALTER TABLE outbox ADD COLUMN kafka_partition int, ADD COLUMN kafka_offset bigint, ADD COLUMN publish_seq bigint;
CREATE SEQUENCE outbox_publish_seq;
CREATE INDEX outbox_published_in_order ON outbox (publish_seq) WHERE publish_seq IS NOT NULL;

-- One row: the broker this database last published to, the publish sequence under which every consumer group
-- has committed, and the last row of a replay in progress (NULL: none). Rows published before this migration
-- carry no sequence: they count as confirmed, as they did before.
CREATE TABLE broker_state (
    singleton           boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    cluster_id          text,
    confirmed_below     bigint NOT NULL DEFAULT 1,
    replaying_through   bigint,
    changed_at          timestamptz NOT NULL DEFAULT now()
);
INSERT INTO broker_state DEFAULT VALUES;
