-- Projects and their settings (per-project numbers of the rules).
CREATE TABLE projects (
    id uuid PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL, city text,
    settings jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
);

-- Units (房号). hold_id / sale_id point at the live hold or open sale, if any.
CREATE TABLE units (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects(id),
    building     text NOT NULL,
    number       text NOT NULL,
    floor        int NOT NULL,
    layout       text NOT NULL,
    area_m2      numeric(10,2) NOT NULL,
    list_price   numeric(14,2) NOT NULL,
    floor_price  numeric(14,2) NOT NULL,
    status       text NOT NULL DEFAULT 'available'
                 CHECK (status IN ('available','held','reserved','subscribed','contracted','handed_over')),
    hold_id      uuid,
    sale_id      uuid,
    UNIQUE (project_id, building, number)
);
CREATE INDEX units_project ON units (project_id, building, floor);

-- Holds (锁定). R19: at most one live hold per unit, guarded by this partial unique index too.
CREATE TABLE holds (
    id             uuid PRIMARY KEY,
    unit_id        uuid NOT NULL REFERENCES units(id),
    project_id     uuid NOT NULL,
    customer_id    uuid NOT NULL,
    consultant_id  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    state          text NOT NULL DEFAULT 'live' CHECK (state IN ('live','expired','released','converted')),
    ended_at       timestamptz,
    ended_by       text
);
CREATE UNIQUE INDEX holds_one_live_per_unit ON holds (unit_id) WHERE state = 'live';
CREATE INDEX holds_expiring ON holds (expires_at) WHERE state = 'live';

-- Sales: opened when the deposit is verified. At most one open sale per unit.
CREATE TABLE sales (
    id             uuid PRIMARY KEY,
    unit_id        uuid NOT NULL REFERENCES units(id),
    project_id     uuid NOT NULL,
    hold_id        uuid NOT NULL UNIQUE,
    deposit_id     text NOT NULL,
    customer_id    uuid NOT NULL,
    consultant_id  text,
    status         text NOT NULL,
    price          numeric(14,2) NOT NULL,
    subscription   jsonb,
    contract       jsonb,
    handed_over_at timestamptz,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz
);
CREATE UNIQUE INDEX sales_one_open_per_unit ON sales (unit_id) WHERE closed_at IS NULL;

-- A deposit verified after its unit went to someone else: never a second sale; a manager refunds.
CREATE TABLE sale_conflicts (
    id           bigserial PRIMARY KEY,
    unit_id      uuid NOT NULL,
    hold_id      uuid NOT NULL,
    deposit_id   text NOT NULL,
    customer_id  uuid NOT NULL,
    noted_at     timestamptz NOT NULL DEFAULT now()
);

-- Read model of leads' customers (customer-registered): who may hold a unit in which project.
CREATE TABLE customers (
    customer_id  uuid NOT NULL,
    project_id   uuid NOT NULL,
    PRIMARY KEY (project_id, customer_id)
);

-- R35: every state change of a unit or a deal, append-only.
CREATE TABLE unit_history (
    id          bigserial PRIMARY KEY,
    unit_id     uuid NOT NULL,
    project_id  uuid NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    from_status text,
    to_status   text NOT NULL,
    reason      text NOT NULL,
    actor       text,
    ref         text
);
CREATE INDEX unit_history_unit ON unit_history (unit_id, id);
