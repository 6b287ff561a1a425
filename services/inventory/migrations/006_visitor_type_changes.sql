-- R5: a visitor type corrected in leads after registration (visitor-type-changed) re-types the customer here;
-- the time of the change applied, so a late or repeated event never undoes a later one.
ALTER TABLE customers ADD COLUMN key_visitor_changed_at timestamptz;
