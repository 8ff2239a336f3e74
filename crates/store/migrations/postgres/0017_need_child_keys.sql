-- Indexes on the columns that point at a need and had none. SQLite checks a foreign key from
-- the child side: inserting a need while a deferred reference to it is outstanding (the
-- intake's idempotency claim is written first) looked for children in every table that
-- points at needs, and without these indexes that meant reading all of `idempotency`,
-- `notifications` and `needs` itself for each new need — the intake slowed down as the
-- tables grew. PostgreSQL gets the same indexes (deletes of needs look up their children).
CREATE INDEX idempotency_need ON idempotency(need_id);
CREATE INDEX notifications_need ON notifications(need_id) WHERE need_id IS NOT NULL;
CREATE INDEX needs_duplicate_of ON needs(duplicate_of) WHERE duplicate_of IS NOT NULL;
