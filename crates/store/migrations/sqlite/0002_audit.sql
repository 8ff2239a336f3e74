-- The tamper-evident audit log (SQLite dialect). Entries are chained by hash; the one-row
-- head serialises appends (every audited transaction updates it first, which takes the write
-- lock) and is anchored outside the database by checkpoints. audit_refs indexes the record
-- ids of each entry for the viewer. Triggers refuse to update or delete entries. STRICT
-- tables keep every stored value the type the verifier reads.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
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
) STRICT;
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE audit_refs (
    record_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (record_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
CREATE TRIGGER audit_refs_no_update BEFORE UPDATE ON audit_refs
BEGIN SELECT RAISE(ABORT, 'audit_refs is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_refs_no_delete BEFORE DELETE ON audit_refs
BEGIN SELECT RAISE(ABORT, 'audit_refs is append-only: DELETE refused'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be removed'); END;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
