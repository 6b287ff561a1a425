-- Issue 10, R5: staff and competitors' peers (重点来访) are registered in leads but are not leads: no holds for them.
ALTER TABLE customers ADD COLUMN key_visitor boolean NOT NULL DEFAULT false;
