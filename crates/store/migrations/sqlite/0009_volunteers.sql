-- Volunteers (SQLite dialect): call-ups and their sign-ups and organisation commitments,
-- volunteer profiles, one-time set-password links, posts with shifts and bookings, and the
-- service record certificates. Sign-ups' personal fields are sealed by the field cipher.
-- Shift rules hold in the database too: `taken` is kept by triggers and may never pass
-- `slots` (CHECK), and a trigger refuses a booking that overlaps another of the same person.
CREATE TABLE campaigns (
    id BLOB PRIMARY KEY,
    org_id BLOB NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    meeting_point TEXT NOT NULL,
    roles TEXT NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    created_by BLOB NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX campaigns_region ON campaigns(region_code);

CREATE TABLE campaign_signups (
    id BLOB PRIMARY KEY,
    campaign_id BLOB NOT NULL REFERENCES campaigns(id),
    role_name TEXT NOT NULL,
    name BLOB NOT NULL,
    mobile BLOB NOT NULL,
    mobile_index TEXT NOT NULL,
    phone_verified INTEGER NOT NULL DEFAULT 0 CHECK (phone_verified IN (0, 1)),
    age INTEGER NOT NULL,
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    home_community TEXT NOT NULL REFERENCES regions(code),
    notice_version TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined')),
    reason TEXT,
    decided_by BLOB REFERENCES users(id),
    decided_at INTEGER,
    user_id BLOB REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (campaign_id, mobile_index)
) STRICT;
CREATE INDEX campaign_signups_campaign ON campaign_signups(campaign_id);

CREATE TABLE campaign_commitments (
    id BLOB PRIMARY KEY,
    campaign_id BLOB NOT NULL REFERENCES campaigns(id),
    org_id BLOB NOT NULL REFERENCES orgs(id),
    people INTEGER NOT NULL CHECK (people > 0),
    note TEXT NOT NULL,
    created_by BLOB NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX campaign_commitments_campaign ON campaign_commitments(campaign_id);

CREATE TABLE volunteer_profiles (
    user_id BLOB PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    home_community TEXT NOT NULL REFERENCES regions(code),
    team_org_id BLOB REFERENCES orgs(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL
) STRICT;
CREATE INDEX volunteer_profiles_region ON volunteer_profiles(region_code);

CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
) STRICT;

CREATE TABLE posts (
    id BLOB PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    lead_user_id BLOB REFERENCES users(id),
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX posts_region ON posts(region_code);

CREATE TABLE shifts (
    id BLOB PRIMARY KEY,
    post_id BLOB NOT NULL REFERENCES posts(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    slots INTEGER NOT NULL CHECK (slots > 0),
    taken INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= slots),
    CHECK (ends_at > starts_at)
) STRICT;
CREATE INDEX shifts_post ON shifts(post_id, starts_at);
CREATE INDEX shifts_region ON shifts(region_code, starts_at);

CREATE TABLE shift_bookings (
    id BLOB PRIMARY KEY,
    shift_id BLOB NOT NULL REFERENCES shifts(id),
    user_id BLOB NOT NULL REFERENCES users(id),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('booked', 'checked_in', 'checked_out', 'no_show')),
    checked_in_at INTEGER,
    checked_out_at INTEGER,
    booked_by BLOB NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    UNIQUE (shift_id, user_id)
) STRICT;
CREATE INDEX shift_bookings_user ON shift_bookings(user_id, starts_at);

CREATE TRIGGER shift_bookings_no_overlap BEFORE INSERT ON shift_bookings
WHEN EXISTS (SELECT 1 FROM shift_bookings b WHERE b.user_id = NEW.user_id
    AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'shift_overlap');
END;

CREATE TRIGGER shift_bookings_count AFTER INSERT ON shift_bookings
BEGIN
    UPDATE shifts SET taken = taken + 1 WHERE id = NEW.shift_id;
END;

CREATE TABLE service_certificates (
    id TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    display_name TEXT NOT NULL,
    minutes INTEGER NOT NULL CHECK (minutes >= 0),
    region_code TEXT NOT NULL REFERENCES regions(code),
    issued_at INTEGER NOT NULL
) STRICT;
CREATE INDEX service_certificates_user ON service_certificates(user_id);
