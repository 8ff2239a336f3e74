-- One-time codes texted for a call-up sign-up or a volunteer login (SQLite dialect). The
-- number and the code are sealed by the field cipher (the text is made when it is sent);
-- `phone_index` is the number's blind index for the lookup. At most one live code per purpose
-- and number: issuing a new one marks the old one used in the same transaction. Tries are
-- counted before the comparison.
--
-- A code's text goes through the outbox like every other text, so an outbox row may now be
-- about a code instead of a need: `need_id` becomes nullable and `code_id` names the code.
-- SQLite cannot drop a NOT NULL, so `outbox` is rebuilt; `sms_sent` (which references it) is
-- rebuilt with it so no foreign key ever points at a missing table.
CREATE TABLE sms_codes (
    id BLOB PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('signup', 'login')),
    phone_index TEXT NOT NULL,
    phone BLOB NOT NULL,
    code BLOB NOT NULL,
    region_code TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries INTEGER NOT NULL DEFAULT 0 CHECK (tries >= 0),
    used_at INTEGER
) STRICT;
CREATE UNIQUE INDEX sms_codes_live ON sms_codes(purpose, phone_index) WHERE used_at IS NULL;
CREATE INDEX sms_codes_created ON sms_codes(created_at);

CREATE TABLE outbox_new (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'webhook')),
    kind TEXT NOT NULL,
    need_id BLOB REFERENCES needs(id),
    code_id BLOB REFERENCES sms_codes(id),
    event_id BLOB,
    webhook_id BLOB REFERENCES webhooks(id),
    region_code TEXT NOT NULL,
    origin TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    locked_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    done_at INTEGER,
    CHECK (need_id IS NOT NULL OR code_id IS NOT NULL)
) STRICT;
INSERT INTO outbox_new (id, channel, kind, need_id, code_id, event_id, webhook_id, region_code,
    origin, state, attempts, next_at, locked_until, last_error, created_at, done_at)
    SELECT id, channel, kind, need_id, NULL, event_id, webhook_id, region_code,
    origin, state, attempts, next_at, locked_until, last_error, created_at, done_at FROM outbox;

CREATE TABLE sms_sent_new (
    id BLOB PRIMARY KEY,
    outbox_id BLOB NOT NULL REFERENCES outbox_new(id),
    phone_index TEXT NOT NULL,
    origin TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'capped')),
    mode TEXT NOT NULL,
    phone BLOB,
    body BLOB,
    at INTEGER NOT NULL
) STRICT;
INSERT INTO sms_sent_new (id, outbox_id, phone_index, origin, outcome, mode, phone, body, at)
    SELECT id, outbox_id, phone_index, origin, outcome, mode, phone, body, at FROM sms_sent;

DROP TABLE sms_sent;
DROP TABLE outbox;
-- Renaming rewrites sms_sent_new's reference to outbox_new into one to outbox.
ALTER TABLE outbox_new RENAME TO outbox;
ALTER TABLE sms_sent_new RENAME TO sms_sent;

CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state, done_at);
CREATE INDEX outbox_need ON outbox(need_id);
CREATE INDEX outbox_code ON outbox(code_id) WHERE code_id IS NOT NULL;
CREATE INDEX sms_sent_phone ON sms_sent(phone_index, at);
CREATE INDEX sms_sent_origin ON sms_sent(origin, at) WHERE origin IS NOT NULL;
CREATE INDEX sms_sent_at ON sms_sent(at);
