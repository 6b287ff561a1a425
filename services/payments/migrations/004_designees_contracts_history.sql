-- Issue 24. R23: who the project manager named to take and count deposits (inventory's designee-named).
CREATE TABLE designees (
    project_id  uuid NOT NULL,
    staff_id    text NOT NULL,
    powers      text[] NOT NULL,
    named_at    timestamptz NOT NULL,
    PRIMARY KEY (project_id, staff_id)
);

-- R29: the contract as inventory signed it, and the copy signed for by the buyer or their attorney, once.
CREATE TABLE contracts (
    sale_id      uuid PRIMARY KEY,
    contract_no  text NOT NULL,
    signed_at    timestamptz NOT NULL
);
CREATE TABLE contract_collections (
    sale_id       uuid PRIMARY KEY,
    collected_by  text NOT NULL CHECK (collected_by IN ('buyer', 'attorney')),
    signed        boolean NOT NULL CHECK (signed),
    recorded_by   text NOT NULL,
    collected_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER contract_collections_append_only BEFORE UPDATE OR DELETE ON contract_collections FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER contract_collections_no_truncate BEFORE TRUNCATE ON contract_collections FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();

-- R35 made whole: the ledger refuses TRUNCATE as it refuses UPDATE and DELETE.
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();

-- R35 made whole for deposits, payments and payment schedules: every version of a row is kept as it was written, by
-- a trigger (so no code path edits one without a trace); none of them is ever deleted.
CREATE TABLE money_history (
    id          bigserial PRIMARY KEY,
    table_name  text NOT NULL,
    row_id      uuid NOT NULL,
    op          text NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    row_data    jsonb NOT NULL
);
CREATE INDEX money_history_row ON money_history (table_name, row_id, id);
CREATE FUNCTION money_history_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO money_history (table_name, row_id, op, row_data) VALUES (TG_TABLE_NAME, NEW.id, TG_OP, to_jsonb(NEW));
    RETURN NULL;
END $$;
INSERT INTO money_history (table_name, row_id, op, row_data)
    SELECT 'deposits', id, 'INSERT', to_jsonb(d) FROM deposits d
    UNION ALL SELECT 'payments', id, 'INSERT', to_jsonb(p) FROM payments p
    UNION ALL SELECT 'schedule', id, 'INSERT', to_jsonb(s) FROM schedule s;  -- as they are now
CREATE TRIGGER deposits_history AFTER INSERT OR UPDATE ON deposits FOR EACH ROW EXECUTE FUNCTION money_history_keep();
CREATE TRIGGER payments_history AFTER INSERT OR UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION money_history_keep();
CREATE TRIGGER schedule_history AFTER INSERT OR UPDATE ON schedule FOR EACH ROW EXECUTE FUNCTION money_history_keep();
CREATE TRIGGER deposits_no_delete BEFORE DELETE ON deposits FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER schedule_no_delete BEFORE DELETE ON schedule FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER deposits_no_truncate BEFORE TRUNCATE ON deposits FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER schedule_no_truncate BEFORE TRUNCATE ON schedule FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER money_history_append_only BEFORE UPDATE OR DELETE ON money_history FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER money_history_no_truncate BEFORE TRUNCATE ON money_history FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();
