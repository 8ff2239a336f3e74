-- The tamper-evident audit log (PostgreSQL dialect). Entries are chained by hash; the
-- one-row head serialises appends (every audited transaction updates it first, which takes
-- its row lock) and is anchored outside the database by checkpoints. audit_refs indexes the
-- record ids of each entry for the viewer. Triggers refuse UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT,
    roles TEXT NOT NULL,
    region_code TEXT,
    action TEXT NOT NULL,
    record_kind TEXT,
    record_ids TEXT NOT NULL,
    request_id TEXT,
    outcome TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE audit_refs (
    record_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (record_id, seq)
);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_refs_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_refs
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head cannot be removed: % refused', TG_OP;
    END IF;
    IF NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();
