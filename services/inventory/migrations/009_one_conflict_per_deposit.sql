-- A deposit-verified delivered again under a new event id (a producer's replay) noted its conflict a second
-- time, so the manager saw one deposit twice. One conflict per deposit: the copies go (the first stays, with
-- its time), and a unique index keeps it so.
DELETE FROM sale_conflicts a USING sale_conflicts b WHERE a.deposit_id = b.deposit_id AND a.id > b.id;
CREATE UNIQUE INDEX sale_conflicts_one_per_deposit ON sale_conflicts (deposit_id);
