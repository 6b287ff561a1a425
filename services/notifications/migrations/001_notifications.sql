CREATE TABLE projects (
    project_id   uuid PRIMARY KEY,
    timezone     text NOT NULL DEFAULT 'Asia/Shanghai',
    quiet_hours  text NOT NULL DEFAULT '21:00-09:00'
);

-- Reminders, stored durably; send_at is due_at moved out of quiet hours (R15).
CREATE TABLE reminders (
    id            uuid PRIMARY KEY,
    project_id    uuid,
    customer_id   uuid,
    sale_id       uuid,
    kind          text NOT NULL,
    offset_label  text NOT NULL,
    source_event  text NOT NULL,
    recipient     text NOT NULL,
    channel       text NOT NULL,
    body          text NOT NULL,
    due_at        timestamptz NOT NULL,
    send_at       timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','sent','failed')),
    attempts      int NOT NULL DEFAULT 0,
    sent_at       timestamptz,
    UNIQUE (source_event, kind, offset_label)
);
CREATE INDEX reminders_due ON reminders (send_at) WHERE status = 'scheduled';

-- Messages sent (or recorded by the development channel).
CREATE TABLE notifications (
    id           uuid PRIMARY KEY,
    reminder_id  uuid REFERENCES reminders(id),
    project_id   uuid,
    recipient    text NOT NULL,
    channel      text NOT NULL,
    body         text NOT NULL,
    status       text NOT NULL,
    error        text,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_recipient ON notifications (recipient, at);
