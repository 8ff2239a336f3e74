-- The due list of one street reads its people in due order from this index and stops at the
-- limit, instead of reading every due person of the street and sorting them.
CREATE INDEX people_street_due ON people(status, substr(region_code, 1, 9), next_due_at);
