-- Issue 10, R7 (回访/回电): a call-back planned with a purpose, then done with what was said (a follow-up).
CREATE TABLE callbacks (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,
    customer_id    uuid NOT NULL REFERENCES customers(id),
    consultant_id  text NOT NULL,
    due_at         timestamptz NOT NULL,
    purpose_enc    bytea NOT NULL,
    status         text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'done')),
    followup_id    uuid,
    scheduled_at   timestamptz NOT NULL,
    done_at        timestamptz
);
CREATE INDEX callbacks_due ON callbacks (project_id, status, due_at, id);
