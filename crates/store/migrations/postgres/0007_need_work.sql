-- Work on needs (PostgreSQL dialect): who it is assigned to, the first response, the priority
-- review, merges, when the SLA clocks are next due; the timeline (free text sealed in
-- `note`), referrals to other organisations, tasks, escalation steps (each level once per
-- need: the primary key) and in-app notifications (ids only).
ALTER TABLE needs ADD COLUMN source TEXT NOT NULL DEFAULT 'resident';
ALTER TABLE needs ADD COLUMN assignee_id UUID REFERENCES users(id);
ALTER TABLE needs ADD COLUMN acknowledged_at BIGINT;
ALTER TABLE needs ADD COLUMN reviewed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE needs ADD COLUMN duplicate_of UUID REFERENCES needs(id);
ALTER TABLE needs ADD COLUMN sla_next_at BIGINT;
CREATE INDEX needs_state_region ON needs(state, region_code);
CREATE INDEX needs_sla_next ON needs(sla_next_at) WHERE sla_next_at IS NOT NULL;

CREATE TABLE need_events (
    id UUID PRIMARY KEY,
    need_id UUID NOT NULL REFERENCES needs(id),
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_id UUID,
    data TEXT NOT NULL,
    note BYTEA
);
CREATE INDEX need_events_need ON need_events(need_id, at);

CREATE TABLE need_referrals (
    id UUID PRIMARY KEY,
    need_id UUID NOT NULL REFERENCES needs(id),
    org_id UUID NOT NULL REFERENCES orgs(id),
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);
CREATE INDEX need_referrals_need ON need_referrals(need_id);
CREATE INDEX need_referrals_org ON need_referrals(org_id, state);
CREATE UNIQUE INDEX need_referrals_one_live ON need_referrals(need_id, org_id)
    WHERE state IN ('pending', 'accepted');

CREATE TABLE need_tasks (
    id UUID PRIMARY KEY,
    need_id UUID NOT NULL REFERENCES needs(id),
    kind TEXT NOT NULL,
    assignee_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX need_tasks_need ON need_tasks(need_id);

CREATE TABLE need_escalations (
    need_id UUID NOT NULL REFERENCES needs(id),
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    at BIGINT NOT NULL,
    PRIMARY KEY (need_id, level)
);

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    need_id UUID REFERENCES needs(id),
    kind TEXT NOT NULL,
    level SMALLINT,
    at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications(user_id, at);
