-- v1.2, the group (集团): every service knows the tree of org units and the unit of each project, from inventory's
-- events (inventory writes them with its own changes), so a group manager's reach is checked where the data is.
CREATE TABLE org_units (
    id          uuid PRIMARY KEY,
    parent_id   uuid,
    path_ids    uuid[] NOT NULL  -- root first, the unit itself last
);
CREATE INDEX org_units_path ON org_units USING gin (path_ids);

CREATE TABLE project_orgs (
    project_id  uuid PRIMARY KEY,
    org_id      uuid  -- NULL: a project of no group
);
CREATE INDEX project_orgs_org ON project_orgs (org_id);
