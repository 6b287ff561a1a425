-- Issue 11, the opening (开盘): entrants join, a lottery (摇号) with a published seed orders them, and each batch
-- of queue numbers holds units in its own time window; no buyer holds or buys more than units_per_buyer.
CREATE TABLE openings (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id),
    starts_at        timestamptz NOT NULL,
    window_minutes   int NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    batch_size       int NOT NULL CHECK (batch_size BETWEEN 1 AND 10000),
    units_per_buyer  int NOT NULL CHECK (units_per_buyer BETWEEN 1 AND 100),
    status           text NOT NULL DEFAULT 'registering' CHECK (status IN ('registering', 'drawn')),
    seed             text,         -- published by the draw
    ends_at          timestamptz,  -- the end of the last batch's window, set by the draw
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    drawn_by         text,
    drawn_at         timestamptz
);
-- The hold path's one extra lookup: a drawn opening of the unit's project whose windows span the hold's time.
CREATE INDEX openings_drawn ON openings (project_id, starts_at) WHERE status = 'drawn';

CREATE TABLE opening_entrants (
    opening_id   uuid NOT NULL REFERENCES openings (id),
    customer_id  uuid NOT NULL,
    queue_no     int,  -- set by the draw
    added_by     text NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (opening_id, customer_id)
);
CREATE UNIQUE INDEX opening_entrants_queue ON opening_entrants (opening_id, queue_no);

-- The buyer limit counts a customer's live holds and open sales in the project.
CREATE INDEX holds_live_customer ON holds (project_id, customer_id) WHERE state = 'live';
CREATE INDEX sales_open_customer ON sales (project_id, customer_id) WHERE closed_at IS NULL;
