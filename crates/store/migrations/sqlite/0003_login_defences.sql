-- Login defences, password rotation and alerts for administrators (SQLite dialect).
-- Account names are stored only as SHA-256 keys (people type passwords into the name field).

-- Every failed login: counted per account over the last hour and per address over ten minutes.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    account_key TEXT NOT NULL,
    address TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account_key, at);
CREATE INDEX login_failures_address ON login_failures(address, at);

-- Consecutive failures of one account from one address, and the lock they set there.
CREATE TABLE login_streaks (
    account_key TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER,
    PRIMARY KEY (account_key, address)
);

-- Accounts locked everywhere until a time, or until an administrator unlocks them.
CREATE TABLE login_locks (
    account_key TEXT PRIMARY KEY,
    locked_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL
);

-- Alerts for the administrators of a region.
CREATE TABLE alerts (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    user_id BLOB REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX alerts_open ON alerts(region_code) WHERE resolved_at IS NULL;

-- When each password was set (MLPS mode makes passwords expire after 90 days).
ALTER TABLE users ADD COLUMN password_changed_at INTEGER NOT NULL DEFAULT 0;
UPDATE users SET password_changed_at = created_at;
