-- Key fingerprints (a node with the wrong key file refuses to start), the second factor on
-- staff accounts, recovery codes and logins waiting for their code (PostgreSQL dialect).
CREATE TABLE key_fingerprints (
    key_id BIGINT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- totp_secret is sealed by the field cipher (never plain); confirmed once a first code matched.
ALTER TABLE users ADD COLUMN totp_secret BYTEA;
ALTER TABLE users ADD COLUMN totp_confirmed_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- Set only by the demo seeding.
ALTER TABLE users ADD COLUMN mfa_exempt BOOLEAN NOT NULL DEFAULT FALSE;

-- code_hash is a keyed hash ("key id:hex"), never the code.
CREATE TABLE recovery_codes (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE pending_logins (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    wrong_codes BIGINT NOT NULL DEFAULT 0
);
