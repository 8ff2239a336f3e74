-- One-time codes texted for a call-up sign-up or a volunteer login (PostgreSQL dialect). The
-- number and the code are sealed by the field cipher (the text is made when it is sent);
-- `phone_index` is the number's blind index for the lookup. At most one live code per purpose
-- and number: issuing a new one marks the old one used in the same transaction. Tries are
-- counted before the comparison.
--
-- A code's text goes through the outbox like every other text, so an outbox row may now be
-- about a code instead of a need: `need_id` becomes nullable and `code_id` names the code.
CREATE TABLE sms_codes (
    id UUID PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('signup', 'login')),
    phone_index TEXT NOT NULL,
    phone BYTEA NOT NULL,
    code BYTEA NOT NULL,
    region_code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0 CHECK (tries >= 0),
    used_at BIGINT
);
CREATE UNIQUE INDEX sms_codes_live ON sms_codes(purpose, phone_index) WHERE used_at IS NULL;
CREATE INDEX sms_codes_created ON sms_codes(created_at);

ALTER TABLE outbox ALTER COLUMN need_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN code_id UUID REFERENCES sms_codes(id);
ALTER TABLE outbox ADD CONSTRAINT outbox_need_or_code CHECK (need_id IS NOT NULL OR code_id IS NOT NULL);
CREATE INDEX outbox_code ON outbox(code_id) WHERE code_id IS NOT NULL;
