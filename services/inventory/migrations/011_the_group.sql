-- v1.2, the group (集团): org units are the shared table org_units (shared migration 005) with inventory's own
-- columns; a project belongs to one (or, made without one, to no group); a unit's template is what a new project
-- under it starts with. Projects made before this version belong to one root unit made here, announced by the
-- service at its next start (org-changed, project-changed) so that every service learns the tree.
ALTER TABLE org_units ADD COLUMN code text, ADD COLUMN name text, ADD COLUMN path text,
    ADD COLUMN settings_template jsonb NOT NULL DEFAULT '{}', ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN announced boolean NOT NULL DEFAULT true;
CREATE UNIQUE INDEX org_units_code ON org_units (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'), code);
CREATE INDEX org_units_listed ON org_units (path, id);

ALTER TABLE projects ADD COLUMN org_id uuid REFERENCES org_units (id), ADD COLUMN settings_version int NOT NULL DEFAULT 0,
    ADD COLUMN announced boolean NOT NULL DEFAULT true;
CREATE INDEX projects_org ON projects (org_id);
CREATE INDEX projects_listed ON projects (code, id);

DO $$
DECLARE root uuid := gen_random_uuid();
BEGIN
    IF EXISTS (SELECT 1 FROM projects) THEN
        INSERT INTO org_units (id, parent_id, path_ids, code, name, path, announced)
            VALUES (root, NULL, ARRAY[root], 'GROUP', 'Group', 'GROUP', false);
        UPDATE projects SET org_id = root, announced = false;
        INSERT INTO project_orgs (project_id, org_id) SELECT id, org_id FROM projects
            ON CONFLICT (project_id) DO UPDATE SET org_id = excluded.org_id;
    END IF;
END $$;
CREATE INDEX org_units_to_announce ON org_units (id) WHERE NOT announced;
CREATE INDEX projects_to_announce ON projects (id) WHERE NOT announced;
