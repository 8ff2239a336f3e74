-- The vulnerable-people registry and welfare checks (SQLite dialect). Every personal value
-- (name, ID number, phones, address, categories, health notes, contact, birth date, and a
-- check's findings and notes) is sealed by the field cipher (BLOB, NULL once anonymised);
-- ID number and phone have keyed blind indexes for exact lookup. The plain columns hold
-- only what the schedule and statistics need.
CREATE TABLE people (
    id BLOB PRIMARY KEY,
    region_code TEXT NOT NULL,
    care_level TEXT NOT NULL CHECK (care_level IN ('A', 'B', 'C')),
    worker_id BLOB,
    basis TEXT NOT NULL,
    basis_date TEXT NOT NULL,
    notice_version TEXT NOT NULL,
    sensitive_consent INTEGER NOT NULL,
    guardian_consent INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'closed', 'anonymised')),
    name BLOB,
    id_number BLOB,
    phone BLOB,
    address BLOB,
    categories BLOB,
    health_notes BLOB,
    contact BLOB,
    birth_date BLOB,
    id_number_index TEXT,
    phone_index TEXT,
    next_due_at INTEGER NOT NULL,
    last_check_at INTEGER,
    closed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL
) STRICT;
CREATE INDEX people_due ON people(status, next_due_at, region_code);
CREATE INDEX people_region_due ON people(status, region_code, next_due_at);
CREATE INDEX people_worker ON people(worker_id, next_due_at);
CREATE INDEX people_id_number_index ON people(id_number_index);
CREATE INDEX people_phone_index ON people(phone_index);

CREATE TABLE checks (
    id BLOB PRIMARY KEY,
    person_id BLOB NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    region_code TEXT NOT NULL,
    worker_id BLOB NOT NULL,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    reached INTEGER NOT NULL,
    details BLOB,
    raised_door_visit INTEGER NOT NULL
) STRICT;
CREATE INDEX checks_person ON checks(person_id, at);
