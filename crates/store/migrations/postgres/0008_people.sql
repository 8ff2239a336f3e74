-- The vulnerable-people registry and welfare checks (PostgreSQL dialect). Every personal value
-- (name, ID number, phones, address, categories, health notes, contact, birth date, and a
-- check's findings and notes) is sealed by the field cipher (BYTEA, NULL once anonymised);
-- ID number and phone have keyed blind indexes for exact lookup. The plain columns hold
-- only what the schedule and statistics need.
CREATE TABLE people (
    id UUID PRIMARY KEY,
    region_code TEXT NOT NULL,
    care_level TEXT NOT NULL CHECK (care_level IN ('A', 'B', 'C')),
    worker_id UUID,
    basis TEXT NOT NULL,
    basis_date TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    sensitive_consent BOOLEAN NOT NULL,
    guardian_consent BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed', 'anonymised')),
    name BYTEA,
    id_number BYTEA,
    phone BYTEA,
    address BYTEA,
    categories BYTEA,
    health_notes BYTEA,
    contact BYTEA,
    birth_date BYTEA,
    id_number_index TEXT,
    phone_index TEXT,
    next_due_at BIGINT NOT NULL,
    last_check_at BIGINT,
    closed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX people_due ON people(status, next_due_at, region_code);
CREATE INDEX people_region_due ON people(status, region_code, next_due_at);
CREATE INDEX people_worker ON people(worker_id, next_due_at);
CREATE INDEX people_id_number_index ON people(id_number_index);
CREATE INDEX people_phone_index ON people(phone_index);

CREATE TABLE checks (
    id UUID PRIMARY KEY,
    person_id UUID NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    region_code TEXT NOT NULL,
    worker_id UUID NOT NULL,
    at BIGINT NOT NULL,
    method TEXT NOT NULL,
    reached BOOLEAN NOT NULL,
    details BYTEA,
    raised_door_visit BOOLEAN NOT NULL
);
CREATE INDEX checks_person ON checks(person_id, at);
