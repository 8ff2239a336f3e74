-- Key fingerprints (a node with the wrong key file refuses to start), the second factor on
-- staff accounts, recovery codes and logins waiting for their code (SQLite dialect).
CREATE TABLE key_fingerprints (
    key_id INTEGER PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- totp_secret is sealed by the field cipher (never plain); confirmed once a first code matched.
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_confirmed_at INTEGER;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;
-- Set only by the demo seeding.
ALTER TABLE users ADD COLUMN mfa_exempt INTEGER NOT NULL DEFAULT 0;

-- code_hash is a keyed hash ("key id:hex"), never the code.
CREATE TABLE recovery_codes (
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE pending_logins (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    wrong_codes INTEGER NOT NULL DEFAULT 0
);
