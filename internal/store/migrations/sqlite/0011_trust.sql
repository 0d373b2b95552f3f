-- Every reveal of a sealed personal value (a case reporter's phone, a
-- person's phone or ID number): who, when, what, whose, and why. Reveals are
-- only ever added, and each one is also in the audit trail.
CREATE TABLE pii_reveals (
    id              INTEGER PRIMARY KEY,
    at              BIGINT NOT NULL,
    user_id         BIGINT NOT NULL,
    actor_name      TEXT NOT NULL,
    actor_unit_id   INTEGER REFERENCES units(id),
    actor_unit_path TEXT NOT NULL DEFAULT '',  -- for the report's subtree scope
    subject         TEXT NOT NULL,             -- case, person
    subject_ref     TEXT NOT NULL,             -- case number or person id
    field           TEXT NOT NULL,             -- reporter_phone, phone, id_no
    whose           TEXT NOT NULL DEFAULT '',  -- the person's name, as shown in the report
    reason          TEXT NOT NULL
);
CREATE INDEX pii_reveals_at ON pii_reveals(at, id);
CREATE INDEX pii_reveals_user ON pii_reveals(user_id, at);
CREATE INDEX pii_reveals_subject ON pii_reveals(subject, subject_ref);
