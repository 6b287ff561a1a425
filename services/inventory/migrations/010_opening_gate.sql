-- Issue 19: holds outside the opening's order. When an opening goes live, one job releases the holds that belong to
-- no entrant's window; it marks the opening in the same transaction, so it happens once, whatever restarts or
-- however many inventory processes look. Openings already over are not settled after the fact.
ALTER TABLE openings ADD COLUMN went_live_at timestamptz;
UPDATE openings SET went_live_at = starts_at WHERE status = 'drawn' AND ends_at <= now();
CREATE INDEX openings_to_go_live ON openings (starts_at) WHERE status = 'drawn' AND went_live_at IS NULL;

-- Units sales control keeps out of an opening (保留房源), with who and why: their holds stay when it goes live,
-- and the opening's hold rule does not apply to them. A record, never edited (R35).
CREATE TABLE opening_kept_out (
    opening_id  uuid NOT NULL REFERENCES openings (id),
    unit_id     uuid NOT NULL REFERENCES units (id),
    reason      text NOT NULL,
    kept_by     text NOT NULL,
    kept_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (opening_id, unit_id)
);
CREATE TRIGGER opening_kept_out_append_only BEFORE UPDATE OR DELETE ON opening_kept_out
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER opening_kept_out_no_truncate BEFORE TRUNCATE ON opening_kept_out
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
