-- Volunteer service records (志愿服务记录, 民政部令第67号《志愿服务记录与证明
-- 出具办法(试行)》), their certificates and good deeds (办实事好事):
-- internal/volunteer.
--
-- A volunteer is a person (people.id) with a volunteer number; the unit that
-- organises a service records it and certifies it (谁组织、谁记录、谁出具).

CREATE TABLE volunteers (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL UNIQUE REFERENCES people(id),
    volunteer_no  TEXT NOT NULL UNIQUE,
    unit_id       INTEGER NOT NULL REFERENCES units(id), -- the community or unit keeping the record
    created_at    BIGINT NOT NULL
);

-- One service entry. layer 'verified': from sign-in/out confirmed by the
-- organiser; 'backfilled': entered afterwards with a reason and an approver,
-- never longer than the activity. counts = 1 when it counts towards stars
-- (verified, or a back-filled entry an approver promoted).
CREATE TABLE volunteer_entries (
    id               INTEGER PRIMARY KEY,
    volunteer_id     INTEGER NOT NULL REFERENCES volunteers(id),
    layer            TEXT NOT NULL CHECK (layer IN ('verified', 'backfilled')),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    source           TEXT NOT NULL,            -- 'whistle', 'activity', 'manual'
    source_ref       TEXT NOT NULL DEFAULT '', -- case no or activity id
    assignment_id    INTEGER UNIQUE REFERENCES assignments(id),
    case_id          INTEGER REFERENCES cases(id),
    started_at       BIGINT NOT NULL,
    ended_at         BIGINT NOT NULL,
    minutes          INTEGER NOT NULL CHECK (minutes >= 0),
    activity_minutes INTEGER NOT NULL CHECK (activity_minutes >= 0),
    place            TEXT NOT NULL DEFAULT '',
    content          TEXT NOT NULL,
    org_unit_id      INTEGER NOT NULL REFERENCES units(id), -- the organising body
    org_path         TEXT NOT NULL,
    recorder         TEXT NOT NULL,            -- who recorded it (name)
    recorder_user_id BIGINT,
    reason           TEXT NOT NULL DEFAULT '', -- why it was back-filled
    approver         TEXT NOT NULL DEFAULT '',
    approved_at      BIGINT,
    counts           INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX volunteer_entries_volunteer ON volunteer_entries(volunteer_id, started_at);
CREATE INDEX volunteer_entries_org ON volunteer_entries(org_path, started_at);
CREATE UNIQUE INDEX volunteer_entries_activity ON volunteer_entries(volunteer_id, source, source_ref) WHERE source = 'activity';

-- The record's history: every recording, approval, promotion, correction
-- request and correction, with who and when.
CREATE TABLE volunteer_entry_history (
    id          INTEGER PRIMARY KEY,
    entry_id    INTEGER NOT NULL REFERENCES volunteer_entries(id),
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    user_id     BIGINT,
    note        TEXT NOT NULL DEFAULT '',
    old_minutes INTEGER,
    new_minutes INTEGER,
    at          BIGINT NOT NULL
);
CREATE INDEX volunteer_entry_history_entry ON volunteer_entry_history(entry_id, id);

-- A volunteer's request to correct an entry, until the organiser decides.
CREATE TABLE volunteer_corrections (
    id           INTEGER PRIMARY KEY,
    entry_id     INTEGER NOT NULL REFERENCES volunteer_entries(id),
    asked_by     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    want_minutes INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('open', 'corrected', 'refused')),
    decided_by   TEXT NOT NULL DEFAULT '',
    decision     TEXT NOT NULL DEFAULT '',
    asked_at     BIGINT NOT NULL,
    decided_at   BIGINT
);
CREATE INDEX volunteer_corrections_entry ON volunteer_corrections(entry_id);

-- Training (培训), honours (表彰奖励) and evaluations (评价) on the record.
CREATE TABLE volunteer_notes (
    id           INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    kind         TEXT NOT NULL CHECK (kind IN ('training', 'honour', 'evaluation')),
    on_day       TEXT NOT NULL, -- YYYY-MM-DD
    title        TEXT NOT NULL,
    body         TEXT NOT NULL DEFAULT '',
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    recorder     TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX volunteer_notes_volunteer ON volunteer_notes(volunteer_id, kind);

-- Star levels granted (星级志愿者), each by whom.
CREATE TABLE volunteer_stars (
    id           INTEGER PRIMARY KEY,
    volunteer_id INTEGER NOT NULL REFERENCES volunteers(id),
    level        INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    minutes      INTEGER NOT NULL, -- verified minutes when granted
    granted_by   TEXT NOT NULL,
    grant_unit_id INTEGER NOT NULL REFERENCES units(id),
    granted_at   BIGINT NOT NULL,
    UNIQUE (volunteer_id, level)
);

-- Certificates (志愿服务记录证明): registered in the ledger, publicised, then
-- issued with a signed payload; revoked ones fail verification.
CREATE TABLE volunteer_certificates (
    id              INTEGER PRIMARY KEY,
    cert_no         TEXT NOT NULL UNIQUE,
    volunteer_id    INTEGER NOT NULL REFERENCES volunteers(id),
    period_from     TEXT NOT NULL, -- YYYY-MM-DD
    period_to       TEXT NOT NULL,
    minutes         INTEGER NOT NULL,
    times           INTEGER NOT NULL,
    content         TEXT NOT NULL,
    issuer_unit_id  INTEGER NOT NULL REFERENCES units(id),
    responsible     TEXT NOT NULL,
    clerk           TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    publicise_until BIGINT NOT NULL,
    issued_at       BIGINT,
    payload         TEXT NOT NULL DEFAULT '',
    revoked_at      BIGINT,
    revoke_reason   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX volunteer_certificates_volunteer ON volunteer_certificates(volunteer_id);

-- Good deeds (办实事好事): who did it (a member or a unit), for whom, what
-- problem it solved, confirmed by the community or the resident.
CREATE TABLE good_deeds (
    id             INTEGER PRIMARY KEY,
    doer_person_id INTEGER REFERENCES people(id),
    doer_unit_id   INTEGER REFERENCES units(id),
    beneficiary    TEXT NOT NULL,
    problem        TEXT NOT NULL,
    photo          TEXT NOT NULL DEFAULT '',
    case_id        INTEGER REFERENCES cases(id),
    source_ref     TEXT NOT NULL DEFAULT '',
    unit_id        INTEGER NOT NULL REFERENCES units(id), -- the community where it was done
    unit_path      TEXT NOT NULL,
    done_at        BIGINT NOT NULL,
    confirmed_by   TEXT NOT NULL,
    confirmed_as   TEXT NOT NULL CHECK (confirmed_as IN ('community', 'resident')),
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    demo           INTEGER NOT NULL DEFAULT 0,
    CHECK (doer_person_id IS NOT NULL OR doer_unit_id IS NOT NULL)
);
CREATE INDEX good_deeds_path ON good_deeds(unit_path, done_at);
CREATE UNIQUE INDEX good_deeds_case ON good_deeds(case_id) WHERE case_id IS NOT NULL;

-- The whistle credits of 0007 (volunteer_hours) become verified entries with
-- the whistle as the activity. volunteer_hours stays, no longer written.
INSERT INTO volunteers (person_id, volunteer_no, unit_id, created_at)
SELECT v.person_id, printf('ZY%08d', v.person_id), MIN(v.unit_id), MIN(v.created_at)
FROM volunteer_hours v GROUP BY v.person_id;

INSERT INTO volunteer_entries (volunteer_id, layer, status, source, source_ref, assignment_id, case_id,
    started_at, ended_at, minutes, activity_minutes, place, content, org_unit_id, org_path, recorder,
    approver, approved_at, counts, created_at)
SELECT w.id, 'verified', 'approved', 'whistle', c.no, v.assignment_id, v.case_id,
    v.started_at, v.ended_at, v.minutes, v.minutes, u.name, c.title, v.unit_id, u.path, '吹哨报到',
    '吹哨人确认', v.created_at, 1, v.created_at
FROM volunteer_hours v JOIN volunteers w ON w.person_id = v.person_id
JOIN cases c ON c.id = v.case_id JOIN units u ON u.id = v.unit_id;

INSERT INTO volunteer_entry_history (entry_id, kind, actor, note, new_minutes, at)
SELECT e.id, 'recorded', e.recorder, '由吹哨报到记录迁入', e.minutes, e.created_at FROM volunteer_entries e;
