-- A committee member (大工委、大党委, 0025) may be a person of the register
-- (issue 15): the part-time member from a department or co-building unit is
-- then the same person as on that unit's roll, and their page can list the
-- committees they sit on. Older rows keep only the name.
ALTER TABLE committee_members ADD COLUMN person_id BIGINT REFERENCES people(id);
CREATE INDEX committee_members_person ON committee_members(person_id);
