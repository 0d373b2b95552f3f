-- Coordination: whistle and report (吹哨报到), township calls (乡呼县应) and
-- enforcement transfers are flows of the case engine; this adds what they
-- need besides cases and assignments.

-- Co-building agreements (共建协议): organisations (units) that signed with a
-- community; a community whistle may summon them.
CREATE TABLE co_building (
    id                INTEGER PRIMARY KEY,
    community_unit_id INTEGER NOT NULL REFERENCES units(id),
    unit_id           INTEGER NOT NULL REFERENCES units(id),
    signed_at         BIGINT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    created_by        BIGINT,
    created_at        BIGINT NOT NULL,
    ended_at          BIGINT
);
CREATE UNIQUE INDEX co_building_pair ON co_building(community_unit_id, unit_id) WHERE ended_at IS NULL;
CREATE INDEX co_building_unit ON co_building(unit_id);

-- A person's own page (a party member answering community whistles on the
-- phone) is reached by a personal link; only the SHA-256 of its token is kept.
CREATE TABLE member_links (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX member_links_person ON member_links(person_id);

-- Volunteer service (志愿服务) credited for a person's part in a case: the
-- time from report-in to the accepted result.
CREATE TABLE volunteer_hours (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people(id),
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    assignment_id INTEGER NOT NULL UNIQUE REFERENCES assignments(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id), -- the community where it was served
    started_at    BIGINT NOT NULL,
    ended_at      BIGINT NOT NULL,
    minutes       INTEGER NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX volunteer_hours_person ON volunteer_hours(person_id, started_at);
CREATE INDEX volunteer_hours_unit ON volunteer_hours(unit_id, started_at);

-- Coordination lists and the report card read parts by role and time.
CREATE INDEX assignments_person ON assignments(person_id) WHERE person_id IS NOT NULL;
CREATE INDEX assignments_dispatched ON assignments(dispatched_at, role);
