-- Counts of active registry people per region and due day, kept by triggers in the same
-- statement that changes a person, so the schedule's counts read a few hundred rows instead of
-- scanning the registry. Each person counts three times: at `level` 12 under their
-- community code, at 9 under its street and at 6 under its district (`prefix`). `due_day`
-- is the day of `next_due_at` in China Standard Time (UTC+8: 28,800,000 ms), the day
-- `wushe_core::people::schedule` counts in.
CREATE TABLE people_due_days (
    level INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    due_day BIGINT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (level, prefix, due_day)
);

INSERT INTO people_due_days (level, prefix, due_day, n)
SELECT l.len, substr(region_code, 1, l.len), (next_due_at + 28800000) / 86400000, COUNT(*)
FROM people, (VALUES (6), (9), (12)) AS l (len)
WHERE status = 'active'
GROUP BY 1, 2, 3;

-- Adds `delta` to the counts of `code`'s district, street and community on the day of `due`.
-- Rows are touched in one order (district, street, community) so writers never deadlock
-- on them; a count that reaches zero is removed.
CREATE FUNCTION people_due_days_add(code TEXT, due BIGINT, delta BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    day BIGINT := (due + 28800000) / 86400000;
BEGIN
    INSERT INTO people_due_days (level, prefix, due_day, n)
    SELECT l.len, substr(code, 1, l.len), day, delta FROM (VALUES (6), (9), (12)) AS l (len)
    ORDER BY 1
    ON CONFLICT (level, prefix, due_day) DO UPDATE SET n = people_due_days.n + EXCLUDED.n;
    DELETE FROM people_due_days
    WHERE n = 0 AND due_day = day
        AND level IN (6, 9, 12) AND prefix IN (substr(code, 1, 6), substr(code, 1, 9), code);
END;
$$;

CREATE FUNCTION people_due_days_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        PERFORM people_due_days_add(OLD.region_code, OLD.next_due_at, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' THEN
        PERFORM people_due_days_add(NEW.region_code, NEW.next_due_at, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER people_due_days_insert AFTER INSERT ON people
FOR EACH ROW EXECUTE FUNCTION people_due_days_track();

CREATE TRIGGER people_due_days_update AFTER UPDATE OF status, next_due_at, region_code ON people
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.next_due_at IS DISTINCT FROM NEW.next_due_at
    OR OLD.region_code IS DISTINCT FROM NEW.region_code)
EXECUTE FUNCTION people_due_days_track();

CREATE TRIGGER people_due_days_delete AFTER DELETE ON people
FOR EACH ROW EXECUTE FUNCTION people_due_days_track();
