-- Needs of the green channel (PostgreSQL dialect). Personal fields are sealed by the field
-- cipher (BLOB); the mobile has a keyed blind index; only the SHA-256 of the tracking link's
-- secret is stored. `idempotency` remembers which request body (its SHA-256, never the body)
-- made which need, so a replay makes no second need.
CREATE TABLE needs (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    link_hash TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    reasons TEXT NOT NULL,
    advice TEXT NOT NULL,
    state TEXT NOT NULL,
    escalation SMALLINT NOT NULL DEFAULT 0 CHECK (escalation BETWEEN 0 AND 3),
    region_code TEXT NOT NULL,
    who_for TEXT NOT NULL,
    basis TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    contact_name BYTEA NOT NULL,
    mobile BYTEA NOT NULL,
    address BYTEA NOT NULL,
    description BYTEA NOT NULL,
    subject BYTEA NOT NULL,
    mobile_index TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX needs_region ON needs(region_code);
CREATE INDEX needs_mobile_index ON needs(mobile_index);

CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    body_hash TEXT NOT NULL,
    need_id UUID NOT NULL REFERENCES needs(id) DEFERRABLE INITIALLY DEFERRED,
    created_at BIGINT NOT NULL
);
