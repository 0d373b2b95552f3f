-- The county's organisational ledgers (issue 17): pairing and field visits
-- (结对共建、蹲点调研、党建+产业: internal/pairing), task forces across
-- modules (工作专班: internal/taskforce) and staffing posts (机构编制实名制:
-- internal/staffing). Days are 'YYYY-MM-DD' in Asia/Shanghai; money is whole
-- yuan, referenced, never kept: the village's own accounts are the books.

-- A pairing links a county organ (a department unit, whose party
-- organisation pairs) and its responsible cadre with a village for a term.
CREATE TABLE pairings (
    id              INTEGER PRIMARY KEY,
    org_unit_id     BIGINT NOT NULL REFERENCES units(id),
    party_org       TEXT NOT NULL DEFAULT '',  -- the organ's party organisation, as named
    cadre_person_id BIGINT NOT NULL REFERENCES people(id),
    village_id      BIGINT NOT NULL REFERENCES units(id),
    village_path    TEXT NOT NULL,
    start_day       TEXT NOT NULL,
    end_day         TEXT NOT NULL,
    demo            INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (org_unit_id, village_id, start_day)
);
CREATE INDEX pairings_village ON pairings(village_path);
CREATE INDEX pairings_cadre ON pairings(cadre_person_id);

-- A field visit (蹲点调研): small on purpose: a day, who, a finding of at
-- most three lines and an optional photo. A finding may become a case on the
-- engine (case_id) or a project (pairing_projects.visit_id).
CREATE TABLE pairing_visits (
    id          INTEGER PRIMARY KEY,
    pairing_id  BIGINT NOT NULL REFERENCES pairings(id),
    day         TEXT NOT NULL,
    visitors    TEXT NOT NULL,
    finding     TEXT NOT NULL,
    photo       TEXT NOT NULL DEFAULT '',
    case_id     BIGINT REFERENCES cases(id),
    case_no     TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX pairing_visits_pairing ON pairing_visits(pairing_id, day);

-- Cooperatives and enterprises a project works through (党支部+合作社).
CREATE TABLE village_partners (
    id          INTEGER PRIMARY KEY,
    village_id  BIGINT NOT NULL REFERENCES units(id),
    kind        TEXT NOT NULL CHECK (kind IN ('cooperative', 'enterprise')),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (village_id, name)
);

-- An industry project (党建+产业) with its stage; stage changes are in
-- pairing_project_stages.
CREATE TABLE pairing_projects (
    id              INTEGER PRIMARY KEY,
    pairing_id      BIGINT NOT NULL REFERENCES pairings(id),
    visit_id        BIGINT REFERENCES pairing_visits(id),
    village_id      BIGINT NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL,  -- 种植, 养殖, 加工, 文旅, 电商, 光伏, 其他
    name            TEXT NOT NULL,
    partner_id      BIGINT REFERENCES village_partners(id),
    cadre_person_id BIGINT NOT NULL REFERENCES people(id),
    stage           TEXT NOT NULL CHECK (stage IN ('planned', 'started', 'producing', 'stopped')),
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX pairing_projects_pairing ON pairing_projects(pairing_id);
CREATE TABLE pairing_project_stages (
    id          INTEGER PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES pairing_projects(id),
    stage       TEXT NOT NULL,
    day         TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX pairing_project_stages_project ON pairing_project_stages(project_id, id);

-- A fund line of a project: source and amount, 争取 (sought) → 到位 (in
-- place) → 使用 (used), each with its day.
CREATE TABLE pairing_funds (
    id          INTEGER PRIMARY KEY,
    project_id  BIGINT NOT NULL REFERENCES pairing_projects(id),
    source      TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL CHECK (status IN ('sought', 'in_place', 'used')),
    sought_on   TEXT NOT NULL,
    in_place_on TEXT NOT NULL DEFAULT '',
    used_on     TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX pairing_funds_project ON pairing_funds(project_id);

-- The village collective's operating income (村集体经营性收入), once a year.
CREATE TABLE village_incomes (
    id          INTEGER PRIMARY KEY,
    village_id  BIGINT NOT NULL REFERENCES units(id),
    year        INTEGER NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    recorded_by TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (village_id, year)
);

-- A task force (工作专班) kept by a township or the county (unit_id), with
-- its sunset (end_day); closed_on when it was wound up.
CREATE TABLE taskforces (
    id              INTEGER PRIMARY KEY,
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    unit_path       TEXT NOT NULL,
    level           TEXT NOT NULL CHECK (level IN ('county', 'township')),
    name            TEXT NOT NULL,
    task            TEXT NOT NULL,
    lead_person_id  BIGINT NOT NULL REFERENCES people(id),
    deputy_person_id BIGINT REFERENCES people(id),
    start_day       TEXT NOT NULL,
    target_day      TEXT NOT NULL,
    end_day         TEXT NOT NULL,
    closed_on       TEXT NOT NULL DEFAULT '',
    demo            INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX taskforces_path ON taskforces(unit_path);

-- A member: full-time or part-time, the home module and institution they
-- come from, and the share of their time (percent).
CREATE TABLE taskforce_members (
    id              INTEGER PRIMARY KEY,
    taskforce_id    BIGINT NOT NULL REFERENCES taskforces(id),
    person_id       BIGINT NOT NULL REFERENCES people(id),
    full_time       INTEGER NOT NULL DEFAULT 0,
    home_unit_id    BIGINT NOT NULL REFERENCES units(id),
    module_id       BIGINT REFERENCES unit_modules(id),
    institution_id  BIGINT REFERENCES institutions(id),
    share           INTEGER NOT NULL CHECK (share BETWEEN 1 AND 100),
    created_at      BIGINT NOT NULL,
    UNIQUE (taskforce_id, person_id)
);
CREATE INDEX taskforce_members_person ON taskforce_members(person_id);

-- A task force's work items: cases on the engine, its inbox.
CREATE TABLE taskforce_items (
    id           INTEGER PRIMARY KEY,
    taskforce_id BIGINT NOT NULL REFERENCES taskforces(id),
    case_id      BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX taskforce_items_tf ON taskforce_items(taskforce_id);

-- Staffing posts (机构编制实名制). A body is a unit (a county department or
-- a township) or one of a township's institutions. What is approved (核定)
-- is never edited: it is the sum of the events that approve, move, lend
-- and return posts, each with its document number and day.
CREATE TABLE staffing_events (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('approve', 'transfer', 'loan', 'return')),
    post_type        TEXT NOT NULL CHECK (post_type IN ('admin', 'career1', 'career2', 'worker', 'leader')),
    count            INTEGER NOT NULL CHECK (count > 0),
    from_unit_id     BIGINT REFERENCES units(id),
    from_inst_id     BIGINT REFERENCES institutions(id),
    to_unit_id       BIGINT NOT NULL REFERENCES units(id),
    to_inst_id       BIGINT REFERENCES institutions(id),
    doc_no           TEXT NOT NULL,
    doc_day          TEXT NOT NULL,
    return_day       TEXT NOT NULL DEFAULT '',  -- a loan's (周转) return date
    loan_id          BIGINT REFERENCES staffing_events(id), -- the loan a return ends
    note             TEXT NOT NULL DEFAULT '',
    demo             INTEGER NOT NULL DEFAULT 0,
    actor            TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);
CREATE INDEX staffing_events_to ON staffing_events(to_unit_id);
CREATE INDEX staffing_events_from ON staffing_events(from_unit_id);

-- A filled post: the named person holding it (实名), until ended_on.
CREATE TABLE staffing_posts (
    id             INTEGER PRIMARY KEY,
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    institution_id BIGINT REFERENCES institutions(id),
    post_type      TEXT NOT NULL CHECK (post_type IN ('admin', 'career1', 'career2', 'worker')),
    leader         INTEGER NOT NULL DEFAULT 0,
    title          TEXT NOT NULL DEFAULT '',
    person_id      BIGINT NOT NULL REFERENCES people(id),
    since          TEXT NOT NULL,
    ended_on       TEXT NOT NULL DEFAULT '',
    demo           INTEGER NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);
CREATE INDEX staffing_posts_unit ON staffing_posts(unit_id, post_type);
CREATE INDEX staffing_posts_person ON staffing_posts(person_id);
