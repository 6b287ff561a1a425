-- Issue 24, R23 and R27 made whole: a project manager names designees who may take and count deposits or countersign
-- subscriptions; every naming and withdrawal (no powers) is kept, never edited (R35).
CREATE TABLE designations (
    id          bigserial PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id),
    staff_id    text NOT NULL,
    powers      text[] NOT NULL,
    reason      text NOT NULL,
    named_by    text NOT NULL,
    named_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX designations_staff ON designations (project_id, staff_id, id);
CREATE TRIGGER designations_append_only BEFORE UPDATE OR DELETE ON designations
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER designations_no_truncate BEFORE TRUNCATE ON designations
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();

-- R35 made whole for deals: every version of a sale (its status, price, subscription, contract, handover,
-- cancellation) is kept as it was written, by a trigger, so no code path edits a sale without a trace; the sales
-- themselves are never deleted.
CREATE TABLE sale_history (
    id        bigserial PRIMARY KEY,
    sale_id   uuid NOT NULL,
    op        text NOT NULL,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    row_data  jsonb NOT NULL
);
CREATE INDEX sale_history_sale ON sale_history (sale_id, id);
CREATE FUNCTION sale_history_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sale_history (sale_id, op, row_data) VALUES (NEW.id, TG_OP, to_jsonb(NEW));
    RETURN NULL;
END $$;
INSERT INTO sale_history (sale_id, op, row_data) SELECT id, 'INSERT', to_jsonb(s) FROM sales s;  -- as they are now
CREATE TRIGGER sales_history AFTER INSERT OR UPDATE ON sales FOR EACH ROW EXECUTE FUNCTION sale_history_keep();
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER sales_no_truncate BEFORE TRUNCATE ON sales FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER sale_history_append_only BEFORE UPDATE OR DELETE ON sale_history
    FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER sale_history_no_truncate BEFORE TRUNCATE ON sale_history
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
