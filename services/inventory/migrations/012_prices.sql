-- Issue 24, 调价: every price adjustment with who, when and why, and each unit's old and new price (R35: kept, never
-- edited). The unit's own history gets a row per change too, carrying the new price: the board stream sends it.
CREATE TABLE price_adjustments (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id),
    reason      text NOT NULL,
    made_by     text NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now(),
    building    text,
    percent     numeric(9,4),
    skipped     uuid[] NOT NULL DEFAULT '{}'
);
CREATE INDEX price_adjustments_project ON price_adjustments (project_id, made_at, id);
CREATE TABLE price_changes (
    adjustment_id  uuid NOT NULL REFERENCES price_adjustments (id),
    unit_id        uuid NOT NULL REFERENCES units (id),
    old_price      numeric(14,2) NOT NULL,
    new_price      numeric(14,2) NOT NULL,
    PRIMARY KEY (adjustment_id, unit_id)
);
CREATE INDEX price_changes_unit ON price_changes (unit_id);
CREATE TRIGGER price_adjustments_append_only BEFORE UPDATE OR DELETE ON price_adjustments
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER price_adjustments_no_truncate BEFORE TRUNCATE ON price_adjustments
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER price_changes_append_only BEFORE UPDATE OR DELETE ON price_changes
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER price_changes_no_truncate BEFORE TRUNCATE ON price_changes
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();

-- A price change in the unit's history: its new list price (status rows leave it empty).
ALTER TABLE unit_history ADD COLUMN list_price numeric(14,2);
