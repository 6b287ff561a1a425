-- Refunds inventory has seen, by deposit. A deposit-verified that arrives after its own refund (the two
-- topics are not ordered against each other) must not open a sale for money already given back.
CREATE TABLE deposit_refunds (
    deposit_id  text PRIMARY KEY,
    hold_id     uuid NOT NULL,
    unit_id     uuid NOT NULL,
    outcome     text NOT NULL,  -- sale_closed | hold_released | nothing | ignored_after_subscription
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deposit_refunds_hold ON deposit_refunds (hold_id);

-- A conflict (a deposit verified after its unit went to someone else) is settled by the manager's refund.
ALTER TABLE sale_conflicts ADD COLUMN project_id uuid;
ALTER TABLE sale_conflicts ADD COLUMN refunded_at timestamptz;
UPDATE sale_conflicts c SET project_id = u.project_id FROM units u WHERE u.id = c.unit_id;
CREATE INDEX sale_conflicts_open ON sale_conflicts (project_id) WHERE refunded_at IS NULL;

-- R35: the history of units and deals, and the refunds seen, are append-only: no edit, no delete.
CREATE FUNCTION inventory_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only (R35): % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER unit_history_append_only BEFORE UPDATE OR DELETE ON unit_history FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER unit_history_no_truncate BEFORE TRUNCATE ON unit_history FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER deposit_refunds_append_only BEFORE UPDATE OR DELETE ON deposit_refunds FOR EACH ROW EXECUTE FUNCTION inventory_refuse_change();
CREATE TRIGGER deposit_refunds_no_truncate BEFORE TRUNCATE ON deposit_refunds FOR EACH STATEMENT EXECUTE FUNCTION inventory_refuse_change();
