-- Issue 22: a message to an org unit's group managers (the morning report, `role:group_manager:{org_id}`) belongs to
-- the unit, not to a project: a group manager sees those of the units of their subtree.
ALTER TABLE reminders ADD COLUMN org_id uuid;
ALTER TABLE notifications ADD COLUMN org_id uuid;
CREATE INDEX notifications_org ON notifications (org_id, at) WHERE org_id IS NOT NULL;
