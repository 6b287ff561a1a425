-- Issue 24, paper: every receipt of money has a receipt in the project's one gap-free series (deposits and payments
-- on a sale alike), printed as often as asked, each print after the first a copy (副本).
ALTER TABLE projects ADD COLUMN name text;  -- the receipt names the project (project-created carries it)
ALTER TABLE deposits ADD COLUMN cny_equivalent numeric(14,2);  -- foreign money's worth in yuan (R25)

-- A payment on a sale carries what a deposit carries (R25, R26, R29) and its receipt number.
ALTER TABLE payments
    ADD COLUMN project_id       uuid,
    ADD COLUMN currency         text NOT NULL DEFAULT 'CNY',
    ADD COLUMN cny_equivalent   numeric(14,2),
    ADD COLUMN source_of_funds  text,
    ADD COLUMN cheque_no        text,
    ADD COLUMN note_serials     text[] NOT NULL DEFAULT '{}',
    ADD COLUMN payer_enc        bytea,
    ADD COLUMN receipt_no       text UNIQUE;
CREATE INDEX payments_sale ON payments (sale_id, at);

-- Payments received before this issue get their receipt numbers now, in the order they were received.
DO $$
DECLARE
    paid record;
    counter record;
BEGIN
    FOR paid IN
        SELECT p.id, s.project_id FROM payments p JOIN sales s ON s.sale_id = p.sale_id
        WHERE p.receipt_no IS NULL ORDER BY p.at, p.id
    LOOP
        INSERT INTO receipt_counters AS c (project_id, prefix, last)
        VALUES (paid.project_id,
                coalesce((SELECT code FROM projects WHERE project_id = paid.project_id),
                         upper(left(paid.project_id::text, 8))), 1)
        ON CONFLICT (project_id) DO UPDATE SET last = c.last + 1
        RETURNING prefix, last INTO counter;
        UPDATE payments SET project_id = paid.project_id,
               receipt_no = counter.prefix || '-' || lpad(counter.last::text, greatest(6, length(counter.last::text)), '0')
        WHERE id = paid.id;
    END LOOP;
END $$;

-- Every print of a receipt (R35: who printed it, when); `n` counts them, the first included.
CREATE TABLE receipt_prints (
    receipt_no text NOT NULL, n int NOT NULL, printed_by text NOT NULL, printed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (receipt_no, n)
);
CREATE FUNCTION payments_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only (R35): % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER receipt_prints_append_only BEFORE UPDATE OR DELETE ON receipt_prints FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER receipt_prints_no_truncate BEFORE TRUNCATE ON receipt_prints FOR EACH STATEMENT EXECUTE FUNCTION payments_refuse_change();
