-- Issue 23: a project's deposits in the list's order; who owns whom by owner (a consultant's rows).
CREATE INDEX deposits_project_taken ON deposits (project_id, taken_at, id);
CREATE INDEX customer_owners_owner ON customer_owners (owner_id);
