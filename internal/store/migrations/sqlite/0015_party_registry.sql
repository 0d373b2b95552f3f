-- The party registry (issue 15): what an organisation department keeps of
-- each party member, the co-building agreements' terms and commitments, and
-- serving members' registrations where they live (双报到).

-- A party member is a person (people: name, work unit, party organisation,
-- home community, sealed phone and ID); this row holds the rest of what the
-- organisation department keeps.
CREATE TABLE party_members (
    person_id    INTEGER PRIMARY KEY REFERENCES people(id),
    gender       TEXT NOT NULL DEFAULT '',   -- 男, 女 or ''
    birth_year   INTEGER NOT NULL DEFAULT 0,
    joined_on    TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD, the day they joined the party
    home_grid_id INTEGER REFERENCES units(id),
    skills       TEXT NOT NULL DEFAULT '',   -- 专业特长, separated by 、
    intentions   TEXT NOT NULL DEFAULT '',   -- 服务意向, separated by 、
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX party_members_grid ON party_members(home_grid_id);

-- A co-building agreement's term and liaison (联络员), its commitments and
-- the community's yearly evaluations.
ALTER TABLE co_building ADD COLUMN term_from BIGINT;
ALTER TABLE co_building ADD COLUMN term_to BIGINT;
ALTER TABLE co_building ADD COLUMN liaison TEXT NOT NULL DEFAULT '';
ALTER TABLE co_building ADD COLUMN liaison_phone_enc TEXT NOT NULL DEFAULT '';

CREATE TABLE co_building_commitments (
    id           INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES co_building(id),
    kind         TEXT NOT NULL,              -- resource, project, people
    what         TEXT NOT NULL,
    target       INTEGER NOT NULL,           -- how many (times, person-times, items) were promised
    done         INTEGER NOT NULL DEFAULT 0  -- how many are done so far
);
CREATE INDEX co_building_commitments_agreement ON co_building_commitments(agreement_id);

CREATE TABLE co_building_evaluations (
    id           INTEGER PRIMARY KEY,
    agreement_id INTEGER NOT NULL REFERENCES co_building(id),
    year         INTEGER NOT NULL,
    grade        TEXT NOT NULL,              -- 好, 较好, 一般, 差
    comment      TEXT NOT NULL DEFAULT '',
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX co_building_evaluations_year ON co_building_evaluations(agreement_id, year);

-- A serving member's registration at the community where they live: made on
-- the phone or at the community, accepted by the community with a grid, and
-- re-confirmed every half year. Only one is current (ended_at IS NULL).
CREATE TABLE member_registrations (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    community_unit_id INTEGER NOT NULL REFERENCES units(id),
    grid_id           INTEGER REFERENCES units(id),
    channel           TEXT NOT NULL,          -- phone, desk
    status            TEXT NOT NULL,          -- pending, accepted, rejected
    slip_no           TEXT NOT NULL DEFAULT '', -- 报到单 number, once accepted
    registered_at     BIGINT NOT NULL,
    accepted_at       BIGINT,
    accepted_by       BIGINT,
    confirmed_at      BIGINT,                 -- last (re-)confirmation
    note              TEXT NOT NULL DEFAULT '',
    ended_at          BIGINT
);
CREATE UNIQUE INDEX member_registrations_current ON member_registrations(person_id) WHERE ended_at IS NULL;
CREATE INDEX member_registrations_community ON member_registrations(community_unit_id, status);

-- The three lists (需求清单、资源清单、项目清单): what residents need (the
-- community publishes it), and what units offer (resources, projects);
-- members and units claim them.
CREATE TABLE party_items (
    id                INTEGER PRIMARY KEY,
    kind              TEXT NOT NULL,            -- need, resource, project
    community_unit_id INTEGER NOT NULL REFERENCES units(id), -- where
    owner_unit_id     INTEGER NOT NULL REFERENCES units(id), -- who published it
    commitment_id     INTEGER REFERENCES co_building_commitments(id),
    grid_id           INTEGER REFERENCES units(id),
    title             TEXT NOT NULL,
    detail            TEXT NOT NULL DEFAULT '',
    skills            TEXT NOT NULL DEFAULT '', -- separated by 、
    headcount         INTEGER NOT NULL DEFAULT 1,
    starts_at         BIGINT,
    ends_at           BIGINT,
    status            TEXT NOT NULL,            -- open, claimed, done, closed
    demo              INTEGER NOT NULL DEFAULT 0,
    created_by        BIGINT,
    created_at        BIGINT NOT NULL
);
CREATE INDEX party_items_community ON party_items(community_unit_id, kind, status);

CREATE TABLE party_claims (
    id         INTEGER PRIMARY KEY,
    item_id    INTEGER NOT NULL REFERENCES party_items(id),
    person_id  INTEGER REFERENCES people(id),
    unit_id    INTEGER REFERENCES units(id),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX party_claims_person ON party_claims(item_id, person_id) WHERE person_id IS NOT NULL;
CREATE UNIQUE INDEX party_claims_unit ON party_claims(item_id, unit_id) WHERE unit_id IS NOT NULL;

-- Service activities with a roster and attendance; the community (and the
-- resident served) sign them off.
CREATE TABLE party_activities (
    id                 INTEGER PRIMARY KEY,
    item_id            INTEGER REFERENCES party_items(id),
    commitment_id      INTEGER REFERENCES co_building_commitments(id),
    community_unit_id  INTEGER NOT NULL REFERENCES units(id),
    organiser_unit_id  INTEGER NOT NULL REFERENCES units(id),
    title              TEXT NOT NULL,
    content            TEXT NOT NULL DEFAULT '',
    place              TEXT NOT NULL,           -- the party-mass service centre (党群服务中心) or other place
    starts_at          BIGINT NOT NULL,
    ends_at            BIGINT NOT NULL,
    status             TEXT NOT NULL,           -- planned, signed_off
    resident_name      TEXT NOT NULL DEFAULT '', -- the resident served who signed it off
    deed_problem       TEXT NOT NULL DEFAULT '', -- the problem solved (a good deed), if any
    signed_off_at      BIGINT,
    signed_off_by      BIGINT,
    demo               INTEGER NOT NULL DEFAULT 0,
    created_by         BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX party_activities_community ON party_activities(community_unit_id, starts_at);
CREATE INDEX party_activities_signed ON party_activities(signed_off_at);

CREATE TABLE party_attendance (
    activity_id INTEGER NOT NULL REFERENCES party_activities(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    in_at       BIGINT,
    out_at      BIGINT,
    recorded_by TEXT NOT NULL DEFAULT '',       -- self (phone), organiser
    PRIMARY KEY (activity_id, person_id)
);
CREATE INDEX party_attendance_person ON party_attendance(person_id);

-- Demonstration rows (serve --demo) are marked as such.
ALTER TABLE co_building ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
ALTER TABLE member_registrations ADD COLUMN demo INTEGER NOT NULL DEFAULT 0;
