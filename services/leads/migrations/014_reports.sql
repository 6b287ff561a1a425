-- Issue 22, the group's reports (日报/月报). A report reads buckets, never the history: each event adds to the
-- bucket of its project's local day and consultant in the transaction that applies it (the inbox's, or the use
-- case's for leads' own steps), so a report's cost follows days × projects × consultants asked for.

-- The events the buckets are made of, as applied (ids, amounts, areas: no personal data): `estate reports rebuild`
-- replays them into the buckets after a changed definition.
CREATE TABLE report_events (
    seq         bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    kind        text NOT NULL,
    project_id  uuid NOT NULL,
    at          timestamptz NOT NULL,
    data        jsonb NOT NULL
);
CREATE INDEX report_events_at ON report_events (at);

-- One bucket: a project's local day, one consultant ('' when no consultant is known). Money and areas to the fen.
CREATE TABLE report_days (
    project_id             uuid NOT NULL,
    day                    date NOT NULL,
    consultant_id          text NOT NULL,
    new_customers          int NOT NULL DEFAULT 0,
    visits                 int NOT NULL DEFAULT 0,
    calls                  int NOT NULL DEFAULT 0,
    calls_within_3_rings   int NOT NULL DEFAULT 0,
    holds_count int NOT NULL DEFAULT 0, holds_area_m2 numeric(16,2) NOT NULL DEFAULT 0, holds_amount numeric(18,2) NOT NULL DEFAULT 0,
    subscriptions_count int NOT NULL DEFAULT 0, subscriptions_area_m2 numeric(16,2) NOT NULL DEFAULT 0, subscriptions_amount numeric(18,2) NOT NULL DEFAULT 0,
    contracts_count int NOT NULL DEFAULT 0, contracts_area_m2 numeric(16,2) NOT NULL DEFAULT 0, contracts_amount numeric(18,2) NOT NULL DEFAULT 0,
    cancellations          int NOT NULL DEFAULT 0,
    collected              numeric(18,2) NOT NULL DEFAULT 0,
    refunded               numeric(18,2) NOT NULL DEFAULT 0,
    handovers              int NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, consultant_id)
);

-- The funnel: each customer (key visitors are not) with the stages reached so far, and per project and day of
-- registration how many of those registered that day reached each stage (to date).
CREATE TABLE report_funnel_customers (
    customer_id  uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    day          date NOT NULL,
    visited      boolean NOT NULL DEFAULT false,
    held         boolean NOT NULL DEFAULT false,
    subscribed   boolean NOT NULL DEFAULT false,
    contracted   boolean NOT NULL DEFAULT false
);
CREATE INDEX report_funnel_customers_day ON report_funnel_customers (day);
CREATE TABLE report_funnel_days (
    project_id  uuid NOT NULL,
    day         date NOT NULL,
    registered  int NOT NULL DEFAULT 0,
    visited     int NOT NULL DEFAULT 0,
    held        int NOT NULL DEFAULT 0,
    subscribed  int NOT NULL DEFAULT 0,
    contracted  int NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
);

-- A project's targets (指标) for a month (its first day), set by a group manager or an admin.
CREATE TABLE report_targets (
    project_id            uuid NOT NULL,
    month                 date NOT NULL,
    subscriptions_amount  numeric(14,2),
    contracts_amount      numeric(14,2),
    collected             numeric(14,2),
    set_by                text NOT NULL,
    set_at                timestamptz NOT NULL,
    PRIMARY KEY (project_id, month)
);

-- The morning report (日报): one per org unit and day, recorded with its event in one transaction.
CREATE TABLE morning_reports (
    org_id   uuid NOT NULL,
    day      date NOT NULL,
    sent_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, day)
);

-- Org units' codes and names as inventory's org-changed tells them (the shared org_units table holds the tree).
CREATE TABLE org_names (
    org_id  uuid PRIMARY KEY,
    code    text,
    name    text
);
