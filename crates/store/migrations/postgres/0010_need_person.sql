-- A need linked to a registry person: raised by a welfare check, or matched by the resident's
-- phone (blind index). No foreign key: anonymising or purging a person must not be blocked by
-- the needs that mention them; the link is cleared then.
ALTER TABLE needs ADD COLUMN person_id UUID;
CREATE INDEX needs_person ON needs(person_id) WHERE person_id IS NOT NULL;
