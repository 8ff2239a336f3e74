-- Notifications that leave wushe (SQLite dialect). `outbox` is written in the same
-- transaction as the change that causes it and holds ids and event kinds only (never a phone,
-- a name or a text): the delivery job renders the message at send time. Its `id` is the
-- idempotency key receivers see. `state`: pending → delivered | skipped | capped | dead;
-- `origin` is a keyed hash of the client address for texts a resident asked for (per-address
-- caps), never the address. `webhooks`: destinations registered by administrators (the secret
-- is sealed; `kinds` is `,kind,kind,`). `sms_sent`: every text handed to a gateway or capped,
-- by blind index of the number (caps per number); in demo mode the number and the text are
-- kept sealed for the 短信发件箱 page.
CREATE TABLE webhooks (
    id BLOB PRIMARY KEY,
    url TEXT NOT NULL,
    kinds TEXT NOT NULL,
    region_code TEXT NOT NULL,
    secret BLOB NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_by BLOB REFERENCES users(id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'webhook')),
    kind TEXT NOT NULL,
    need_id BLOB NOT NULL REFERENCES needs(id),
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
    done_at INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(next_at) WHERE state = 'pending';
CREATE INDEX outbox_state ON outbox(state, done_at);
CREATE INDEX outbox_need ON outbox(need_id);

CREATE TABLE sms_sent (
    id BLOB PRIMARY KEY,
    outbox_id BLOB NOT NULL REFERENCES outbox(id),
    phone_index TEXT NOT NULL,
    origin TEXT,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'capped')),
    mode TEXT NOT NULL,
    phone BLOB,
    body BLOB,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX sms_sent_phone ON sms_sent(phone_index, at);
CREATE INDEX sms_sent_origin ON sms_sent(origin, at) WHERE origin IS NOT NULL;
CREATE INDEX sms_sent_at ON sms_sent(at);
