-- Issue 10 (R15): the contact cap is `max_contacts_per_day` (contacts with one customer on one local day), the name
-- the contract gives; projects stored with the earlier, never-read `max_calls_per_day` keep their value under it.
UPDATE projects
SET settings = (settings - 'max_calls_per_day')
    || jsonb_build_object('max_contacts_per_day', settings -> 'max_calls_per_day')
WHERE settings ? 'max_calls_per_day';
