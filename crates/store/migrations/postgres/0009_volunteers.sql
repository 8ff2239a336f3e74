-- Volunteers (PostgreSQL dialect): call-ups and their sign-ups and organisation commitments,
-- volunteer profiles, one-time set-password links, posts with shifts and bookings, and the
-- service record certificates. Sign-ups' personal fields are sealed by the field cipher.
-- Shift rules hold in the database too: `taken` is kept by triggers and may never pass
-- `slots` (CHECK), and a trigger refuses a booking that overlaps another of the same person.
CREATE TABLE campaigns (
    id UUID PRIMARY KEY,
    org_id UUID NOT NULL REFERENCES orgs(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions(code),
    meeting_point TEXT NOT NULL,
    roles TEXT NOT NULL,
    min_age INTEGER,
    max_age INTEGER,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    created_by UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX campaigns_region ON campaigns(region_code);

CREATE TABLE campaign_signups (
    id UUID PRIMARY KEY,
    campaign_id UUID NOT NULL REFERENCES campaigns(id),
    role_name TEXT NOT NULL,
    name BYTEA NOT NULL,
    mobile BYTEA NOT NULL,
    mobile_index TEXT NOT NULL,
    phone_verified INTEGER NOT NULL DEFAULT 0 CHECK (phone_verified IN (0, 1)),
    age INTEGER NOT NULL,
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    home_community TEXT NOT NULL REFERENCES regions(code),
    notice_version TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'declined')),
    reason TEXT,
    decided_by UUID REFERENCES users(id),
    decided_at BIGINT,
    user_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (campaign_id, mobile_index)
);
CREATE INDEX campaign_signups_campaign ON campaign_signups(campaign_id);

CREATE TABLE campaign_commitments (
    id UUID PRIMARY KEY,
    campaign_id UUID NOT NULL REFERENCES campaigns(id),
    org_id UUID NOT NULL REFERENCES orgs(id),
    people INTEGER NOT NULL CHECK (people > 0),
    note TEXT NOT NULL,
    created_by UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX campaign_commitments_campaign ON campaign_commitments(campaign_id);

CREATE TABLE volunteer_profiles (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    skills TEXT NOT NULL,
    availability TEXT NOT NULL,
    home_community TEXT NOT NULL REFERENCES regions(code),
    team_org_id UUID REFERENCES orgs(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX volunteer_profiles_region ON volunteer_profiles(region_code);

CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE posts (
    id UUID PRIMARY KEY,
    region_code TEXT NOT NULL REFERENCES regions(code),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    lead_user_id UUID REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX posts_region ON posts(region_code);

CREATE TABLE shifts (
    id UUID PRIMARY KEY,
    post_id UUID NOT NULL REFERENCES posts(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    slots INTEGER NOT NULL CHECK (slots > 0),
    taken INTEGER NOT NULL DEFAULT 0 CHECK (taken >= 0 AND taken <= slots),
    CHECK (ends_at > starts_at)
);
CREATE INDEX shifts_post ON shifts(post_id, starts_at);
CREATE INDEX shifts_region ON shifts(region_code, starts_at);

CREATE TABLE shift_bookings (
    id UUID PRIMARY KEY,
    shift_id UUID NOT NULL REFERENCES shifts(id),
    user_id UUID NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('booked', 'checked_in', 'checked_out', 'no_show')),
    checked_in_at BIGINT,
    checked_out_at BIGINT,
    booked_by UUID NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    UNIQUE (shift_id, user_id)
);
CREATE INDEX shift_bookings_user ON shift_bookings(user_id, starts_at);

CREATE FUNCTION shift_bookings_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM shift_bookings b WHERE b.user_id = NEW.user_id
        AND b.starts_at < NEW.ends_at AND NEW.starts_at < b.ends_at) THEN
        RAISE EXCEPTION 'shift_overlap';
    END IF;
    UPDATE shifts SET taken = taken + 1 WHERE id = NEW.shift_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER shift_bookings_rules BEFORE INSERT ON shift_bookings
FOR EACH ROW EXECUTE FUNCTION shift_bookings_rules();

CREATE TABLE service_certificates (
    id TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    display_name TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes >= 0),
    region_code TEXT NOT NULL REFERENCES regions(code),
    issued_at BIGINT NOT NULL
);
CREATE INDEX service_certificates_user ON service_certificates(user_id);
