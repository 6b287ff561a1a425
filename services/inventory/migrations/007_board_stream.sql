-- Issue 11, the live board: every unit change gets a board sequence number in the order its commit became
-- visible (bigserial ids are handed out before commit, so a smaller id may commit later: resuming "after id N"
-- could miss it). A sequencer numbers committed rows under one lock; a viewer resumes after the number it saw.
ALTER TABLE unit_history ADD COLUMN board_seq bigint;

-- R35 stays: the record never changes; only its board number may be given, once.
CREATE FUNCTION unit_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.board_seq IS NULL AND NEW.board_seq IS NOT NULL
       AND (to_jsonb(OLD) - 'board_seq') = (to_jsonb(NEW) - 'board_seq') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'table % is append-only (R35): % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER unit_history_append_only ON unit_history;
CREATE TRIGGER unit_history_append_only BEFORE UPDATE OR DELETE ON unit_history
    FOR EACH ROW EXECUTE FUNCTION unit_history_guard();

UPDATE unit_history SET board_seq = id;  -- everything already here is committed
CREATE UNIQUE INDEX unit_history_board_seq ON unit_history (board_seq) WHERE board_seq IS NOT NULL;
CREATE INDEX unit_history_unsequenced ON unit_history (id) WHERE board_seq IS NULL;

-- The commit wakes the sequencer of every inventory process (one notification per transaction).
CREATE FUNCTION unit_history_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('unit_changed', '');
    RETURN NULL;
END $$;
CREATE TRIGGER unit_history_changed AFTER INSERT ON unit_history
    FOR EACH STATEMENT EXECUTE FUNCTION unit_history_changed();
