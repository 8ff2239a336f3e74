-- New people are counted once per statement, not once per person. The per-row trigger of 0014
-- updated the same few count rows again for every person of a batch, and in one transaction
-- each update of a row walks past the versions the earlier ones left: a 10,000-row import spent
-- seconds there. Now an insert adds its active people to each (level, prefix, day) count once,
-- from the statement's transition table, touching the rows in (level, prefix, day) order as the
-- per-row function does (district, street, community), so writers still never deadlock.
-- Updates and deletes keep the per-row trigger: they change one person at a time.
DROP TRIGGER people_due_days_insert ON people;

CREATE FUNCTION people_due_days_insert_all() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO people_due_days (level, prefix, due_day, n)
    SELECT l.len, substr(p.region_code, 1, l.len), (p.next_due_at + 28800000) / 86400000, count(*)
    FROM new_people p CROSS JOIN (VALUES (6), (9), (12)) AS l (len)
    WHERE p.status = 'active'
    GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
    ON CONFLICT (level, prefix, due_day) DO UPDATE SET n = people_due_days.n + EXCLUDED.n;
    RETURN NULL;
END;
$$;

CREATE TRIGGER people_due_days_insert AFTER INSERT ON people
REFERENCING NEW TABLE AS new_people
FOR EACH STATEMENT EXECUTE FUNCTION people_due_days_insert_all();
