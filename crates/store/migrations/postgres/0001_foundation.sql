-- Places, organisations, staff accounts, grants, sessions and durable jobs (PostgreSQL dialect).
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    parent_code TEXT REFERENCES regions(code),
    level TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions(parent_code);

CREATE TABLE orgs (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    phone TEXT,
    address TEXT,
    description TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orgs_region ON orgs(region_code);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    password_hash TEXT NOT NULL,
    lang TEXT NOT NULL DEFAULT 'zh',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_region ON users(region_code);

CREATE TABLE grants (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    org_id UUID REFERENCES orgs(id),
    granted_by UUID,
    created_at BIGINT NOT NULL
);
CREATE INDEX grants_user ON grants(user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    unique_key TEXT UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until BIGINT,
    done_at BIGINT,
    dead BOOLEAN NOT NULL DEFAULT FALSE,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs(run_at) WHERE done_at IS NULL AND dead = FALSE;
