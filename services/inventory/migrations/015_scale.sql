-- Issue 23: who owns whom by owner (a consultant's rows).
CREATE INDEX customer_owners_owner ON customer_owners (owner_id);
