-- Issue 25, fair openings: entry closes on its own (the entrant list published as a digest), then each party commits
-- to a secret by its SHA-256, and once all have committed they reveal; the last reveal draws the opening with a seed
-- derived from the digest and every secret. From the close of entry the project's holds follow the opening.
ALTER TABLE openings
    ADD COLUMN entry_closed_at timestamptz,
    ADD COLUMN entry_closed_by text,
    ADD COLUMN entrants_digest text CHECK (entrants_digest ~ '^[0-9a-f]{64}$'),
    ADD COLUMN lapsed_at timestamptz;  -- entry closed, its start came undrawn: never drawn (recorded by the gate job)

-- Openings drawn before: their entry closed with the draw; the digest of their entrants, ids sorted as strings
-- (the "C" collation: byte order, which is code point order, whatever the database's own collation).
UPDATE openings o SET entry_closed_at = o.drawn_at, entry_closed_by = o.drawn_by,
    entrants_digest = (
        SELECT encode(sha256(convert_to(string_agg(e.customer_id::text, E'\n' ORDER BY e.customer_id::text COLLATE "C"),
                                        'UTF8')), 'hex')
        FROM opening_entrants e WHERE e.opening_id = o.id)
WHERE o.status = 'drawn';

-- The hold path's lookup (every hold asks it): an opening of the project whose rules a hold follows has `ends_at`
-- from the close of entry (or the draw) on; until the draw only before its start.
CREATE INDEX openings_governing ON openings (project_id, ends_at) WHERE ends_at IS NOT NULL;
-- The gate job's next wake-up: an opening whose entry closed and that is neither drawn nor lapsed yet.
CREATE INDEX openings_to_lapse ON openings (starts_at)
    WHERE status = 'registering' AND entry_closed_at IS NOT NULL AND lapsed_at IS NULL;

-- One row per committed party. A record (R35): nothing is edited or deleted; a reveal only fills the secret, who
-- revealed it and when, once.
CREATE TABLE opening_commitments (
    opening_id    uuid NOT NULL REFERENCES openings (id),
    party         text NOT NULL CHECK (char_length(party) BETWEEN 1 AND 64),
    commitment    text NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),
    notary        boolean NOT NULL,  -- committed with a notary's token
    committed_by  text NOT NULL,
    committed_at  timestamptz NOT NULL DEFAULT now(),
    secret        text,
    revealed_by   text,
    revealed_at   timestamptz,
    PRIMARY KEY (opening_id, party),
    CHECK ((secret IS NULL) = (revealed_at IS NULL) AND (secret IS NULL) = (revealed_by IS NULL))
);

CREATE FUNCTION opening_commitments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.secret IS NULL
       AND (to_jsonb(OLD) - 'secret' - 'revealed_by' - 'revealed_at')
           = (to_jsonb(NEW) - 'secret' - 'revealed_by' - 'revealed_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'table % is a record (R35): % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER opening_commitments_record BEFORE UPDATE OR DELETE ON opening_commitments
    FOR EACH ROW EXECUTE FUNCTION opening_commitments_guard();
CREATE TRIGGER opening_commitments_no_truncate BEFORE TRUNCATE ON opening_commitments
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
