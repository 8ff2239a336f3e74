-- Work on needs (SQLite dialect): who it is assigned to, the first response, the priority
-- review, merges, when the SLA clocks are next due; the timeline (free text sealed in
-- `note`), referrals to other organisations, tasks, escalation steps (each level once per
-- need: the primary key) and in-app notifications (ids only).
ALTER TABLE needs ADD COLUMN source TEXT NOT NULL DEFAULT 'resident';
ALTER TABLE needs ADD COLUMN assignee_id BLOB REFERENCES users(id);
ALTER TABLE needs ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE needs ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN duplicate_of BLOB REFERENCES needs(id);
ALTER TABLE needs ADD COLUMN sla_next_at INTEGER;
CREATE INDEX needs_state_region ON needs(state, region_code);
CREATE INDEX needs_sla_next ON needs(sla_next_at) WHERE sla_next_at IS NOT NULL;

CREATE TABLE need_events (
    id BLOB PRIMARY KEY,
    need_id BLOB NOT NULL REFERENCES needs(id),
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor_id BLOB,
    data TEXT NOT NULL,
    note BLOB
) STRICT;
CREATE INDEX need_events_need ON need_events(need_id, at);

CREATE TABLE need_referrals (
    id BLOB PRIMARY KEY,
    need_id BLOB NOT NULL REFERENCES needs(id),
    org_id BLOB NOT NULL REFERENCES orgs(id),
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
) STRICT;
CREATE INDEX need_referrals_need ON need_referrals(need_id);
CREATE INDEX need_referrals_org ON need_referrals(org_id, state);
CREATE UNIQUE INDEX need_referrals_one_live ON need_referrals(need_id, org_id)
    WHERE state IN ('pending', 'accepted');

CREATE TABLE need_tasks (
    id BLOB PRIMARY KEY,
    need_id BLOB NOT NULL REFERENCES needs(id),
    kind TEXT NOT NULL,
    assignee_id BLOB REFERENCES users(id),
    created_at INTEGER NOT NULL,
    done_at INTEGER
) STRICT;
CREATE INDEX need_tasks_need ON need_tasks(need_id);

CREATE TABLE need_escalations (
    need_id BLOB NOT NULL REFERENCES needs(id),
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
    at INTEGER NOT NULL,
    PRIMARY KEY (need_id, level)
) STRICT;

CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    need_id BLOB REFERENCES needs(id),
    kind TEXT NOT NULL,
    level INTEGER,
    at INTEGER NOT NULL,
    read_at INTEGER
) STRICT;
CREATE INDEX notifications_user ON notifications(user_id, at);
