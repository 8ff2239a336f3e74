-- Dispatch of need tasks to volunteers (SQLite dialect). An organisation may set how its
-- volunteer tasks are given out (NULL: follow the organisations above; none: automatic
-- offers). A volunteer task is one of a need's tasks (same id); its offers hold one row per
-- task and volunteer, so nobody is offered the same task twice. Free text (decline reasons,
-- completion notes) lives on the need's timeline, sealed.
ALTER TABLE orgs ADD COLUMN dispatch_mode TEXT CHECK (dispatch_mode IN ('offers', 'pool'));

CREATE TABLE volunteer_tasks (
    id BLOB PRIMARY KEY REFERENCES need_tasks(id),
    need_id BLOB NOT NULL REFERENCES needs(id),
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('offers', 'pool')),
    state TEXT NOT NULL CHECK (state IN ('offered', 'pool', 'accepted', 'done', 'unclaimed', 'cancelled')),
    volunteer_id BLOB REFERENCES users(id),
    created_by BLOB NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    accepted_at INTEGER,
    done_at INTEGER,
    minutes INTEGER NOT NULL DEFAULT 0 CHECK (minutes >= 0),
    version INTEGER NOT NULL
) STRICT;
CREATE INDEX volunteer_tasks_need ON volunteer_tasks(need_id);
CREATE INDEX volunteer_tasks_volunteer ON volunteer_tasks(volunteer_id, state);
CREATE INDEX volunteer_tasks_pool ON volunteer_tasks(state, region_code);

CREATE TABLE task_offers (
    id BLOB PRIMARY KEY,
    task_id BLOB NOT NULL REFERENCES volunteer_tasks(id),
    volunteer_id BLOB NOT NULL REFERENCES users(id),
    state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'declined', 'expired', 'withdrawn')),
    offered_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    answered_at INTEGER,
    UNIQUE (task_id, volunteer_id)
) STRICT;
CREATE INDEX task_offers_volunteer ON task_offers(volunteer_id, state);
CREATE INDEX task_offers_open ON task_offers(expires_at) WHERE state = 'open';
-- At most one open offer per task.
CREATE UNIQUE INDEX task_offers_one_open ON task_offers(task_id) WHERE state = 'open';
