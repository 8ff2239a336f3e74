-- Counts of active registry people per region and due day, kept by triggers in the same
-- statement that changes a person, so the schedule's counts read a few hundred rows instead of
-- scanning the registry. Each person counts three times: at `level` 12 under their
-- community code, at 9 under its street and at 6 under its district (`prefix`). `due_day`
-- is the day of `next_due_at` in China Standard Time (UTC+8: 28,800,000 ms), the day
-- `wushe_core::people::schedule` counts in.
CREATE TABLE people_due_days (
    level INTEGER NOT NULL,
    prefix TEXT NOT NULL,
    due_day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (level, prefix, due_day)
) STRICT, WITHOUT ROWID;

INSERT INTO people_due_days (level, prefix, due_day, n)
SELECT l.len, substr(region_code, 1, l.len), (next_due_at + 28800000) / 86400000, COUNT(*)
FROM people, (SELECT 6 AS len UNION ALL SELECT 9 UNION ALL SELECT 12) AS l
WHERE status = 'active'
GROUP BY 1, 2, 3;

CREATE TRIGGER people_due_days_insert AFTER INSERT ON people
WHEN NEW.status = 'active'
BEGIN
    INSERT INTO people_due_days (level, prefix, due_day, n)
    SELECT l.len, substr(NEW.region_code, 1, l.len), (NEW.next_due_at + 28800000) / 86400000, 1
    FROM (SELECT 6 AS len UNION ALL SELECT 9 UNION ALL SELECT 12) AS l WHERE true
    ON CONFLICT (level, prefix, due_day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER people_due_days_update AFTER UPDATE OF status, next_due_at, region_code ON people
WHEN OLD.status IS NOT NEW.status OR OLD.next_due_at IS NOT NEW.next_due_at
    OR OLD.region_code IS NOT NEW.region_code
BEGIN
    UPDATE people_due_days SET n = n - 1
    WHERE OLD.status = 'active' AND due_day = (OLD.next_due_at + 28800000) / 86400000
        AND level IN (6, 9, 12) AND prefix IN (substr(OLD.region_code, 1, 6), substr(OLD.region_code, 1, 9), OLD.region_code);
    DELETE FROM people_due_days
    WHERE OLD.status = 'active' AND n = 0 AND due_day = (OLD.next_due_at + 28800000) / 86400000
        AND level IN (6, 9, 12) AND prefix IN (substr(OLD.region_code, 1, 6), substr(OLD.region_code, 1, 9), OLD.region_code);
    INSERT INTO people_due_days (level, prefix, due_day, n)
    SELECT l.len, substr(NEW.region_code, 1, l.len), (NEW.next_due_at + 28800000) / 86400000, 1
    FROM (SELECT 6 AS len UNION ALL SELECT 9 UNION ALL SELECT 12) AS l WHERE NEW.status = 'active'
    ON CONFLICT (level, prefix, due_day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER people_due_days_delete AFTER DELETE ON people
WHEN OLD.status = 'active'
BEGIN
    UPDATE people_due_days SET n = n - 1
    WHERE due_day = (OLD.next_due_at + 28800000) / 86400000
        AND level IN (6, 9, 12) AND prefix IN (substr(OLD.region_code, 1, 6), substr(OLD.region_code, 1, 9), OLD.region_code);
    DELETE FROM people_due_days
    WHERE n = 0 AND due_day = (OLD.next_due_at + 28800000) / 86400000
        AND level IN (6, 9, 12) AND prefix IN (substr(OLD.region_code, 1, 6), substr(OLD.region_code, 1, 9), OLD.region_code);
END;
