-- The case engine. Every flow (12345 hotline, grid events, whistles, township
-- calls, enforcement transfers, service applications) is a case moving through
-- a declared flow; each unit's part is an assignment; the timeline is events.

-- Categories: a tree. Shipped: GB/T 47678.5-2026 管理部件 / 管理事项; administrators
-- add people's-livelihood categories. dept_unit_id is the category → responsible
-- county department table (until the power lists route).
CREATE TABLE categories (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,    -- B01001 (部件), S01001 (事项), local codes
    std_code     TEXT NOT NULL DEFAULT '', -- the standard's own code (01001), '' for local
    name         TEXT NOT NULL,
    parent_id    INTEGER REFERENCES categories(id),
    kind         TEXT NOT NULL,           -- 管理部件, 管理事项, 民生诉求
    source       TEXT NOT NULL DEFAULT '', -- e.g. GB/T 47678.5-2026; '' for local
    dept_unit_id INTEGER REFERENCES units(id),
    fields_json  TEXT NOT NULL DEFAULT '', -- extra fields asked at intake (Open311 attributes)
    sort         INTEGER NOT NULL DEFAULT 0,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL
);
CREATE INDEX categories_parent ON categories(parent_id, sort);

-- Per county and day, the last case number handed out ("350722-20261126-00042").
CREATE TABLE case_counters (
    county_code TEXT NOT NULL,
    day         TEXT NOT NULL,   -- YYYYMMDD in Asia/Shanghai
    last        INTEGER NOT NULL,
    PRIMARY KEY (county_code, day)
);

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    no              TEXT NOT NULL UNIQUE,
    flow            TEXT NOT NULL,          -- hotline, grid_event, whistle, township_call, enforcement, service
    kind            TEXT NOT NULL DEFAULT '', -- a flow's sub-kind (whistle: street, community, resident, organisation)
    request_type    TEXT NOT NULL DEFAULT '', -- consult, help, complaint, suggestion (咨询/求助/投诉举报/意见建议)
    category_id     INTEGER REFERENCES categories(id),
    title           TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    priority        TEXT NOT NULL DEFAULT 'normal', -- urgent, normal, complex
    channel         TEXT NOT NULL,          -- phone, portal, grid, api, open311, province, window, ...
    source          TEXT NOT NULL DEFAULT '', -- external system ('' = none)
    external_id     TEXT NOT NULL DEFAULT '', -- the source system's id (idempotent intake)
    address         TEXT NOT NULL DEFAULT '',
    lng             DOUBLE PRECISION,       -- WGS-84
    lat             DOUBLE PRECISION,
    grid_unit_id    INTEGER REFERENCES units(id),
    place_unit_id   INTEGER REFERENCES units(id), -- community/village (or township) where it happened
    place_path      TEXT NOT NULL DEFAULT '',     -- path of place_unit_id, for subtree scope
    township_unit_id INTEGER REFERENCES units(id),
    reporter_name   TEXT NOT NULL DEFAULT '',
    reporter_phone_enc  TEXT NOT NULL DEFAULT '',  -- sealed (pii)
    reporter_phone_hash TEXT NOT NULL DEFAULT '',  -- keyed hash for search by phone
    reporter_phone_last4 TEXT NOT NULL DEFAULT '', -- residents follow a case by number + last four
    status          TEXT NOT NULL,
    lead_unit_id    INTEGER REFERENCES units(id),
    created_by      BIGINT,                 -- users.id; NULL for residents and systems
    opened_by_unit_id INTEGER REFERENCES units(id), -- the unit that raised it (whistler, township...)
    handle_due_at   BIGINT,                 -- the lead's handling deadline (copied for lists)
    answered_at     BIGINT,
    answer          TEXT NOT NULL DEFAULT '',
    revisit_due_at  BIGINT,
    revisited_at    BIGINT,
    resolved        INTEGER,                -- revisit: 1 resolved, 0 not; NULL not revisited
    satisfaction    TEXT NOT NULL DEFAULT '', -- satisfied, basic, unsatisfied ('' not revisited)
    on_spot         INTEGER NOT NULL DEFAULT 0, -- 即办件: fixed on the spot
    extensions      INTEGER NOT NULL DEFAULT 0,
    reopens         INTEGER NOT NULL DEFAULT 0,
    supervisions    INTEGER NOT NULL DEFAULT 0,
    overdue         INTEGER NOT NULL DEFAULT 0,
    closed_at       BIGINT,
    resident_satisfaction TEXT NOT NULL DEFAULT '', -- the requester's own rating on the portal
    resident_note   TEXT NOT NULL DEFAULT '',
    resident_rated_at BIGINT,
    data_json       TEXT NOT NULL DEFAULT '', -- flow-specific fields (attributes, whistle details, ...)
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX cases_external ON cases(source, external_id) WHERE external_id <> '';
CREATE INDEX cases_created ON cases(created_at, id);
CREATE INDEX cases_status ON cases(status, created_at);
CREATE INDEX cases_place ON cases(place_path, created_at);
CREATE INDEX cases_phone ON cases(reporter_phone_hash);
CREATE INDEX cases_category ON cases(category_id, created_at);
CREATE INDEX cases_flow ON cases(flow, created_at);

-- One unit's part in a case: lead, supporting, or summoned (whistles).
CREATE TABLE assignments (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    unit_path      TEXT NOT NULL,
    person_id      INTEGER REFERENCES people(id), -- a summoned party member, when the part is a person's
    role           TEXT NOT NULL,          -- lead, supporting, summoned
    status         TEXT NOT NULL,          -- to_sign, in_hand, answered, returned, done, refused, ...
    dispatched_at  BIGINT NOT NULL,
    dispatched_by  BIGINT,
    dispatched_by_unit_id INTEGER REFERENCES units(id), -- the dispatching level (approves extensions)
    sign_due_at    BIGINT,
    signed_at      BIGINT,
    report_due_at  BIGINT,                 -- whistles: report-in deadline
    reported_at    BIGINT,
    report_lng     DOUBLE PRECISION,
    report_lat     DOUBLE PRECISION,
    handle_due_at  BIGINT,
    answered_at    BIGINT,
    answer         TEXT NOT NULL DEFAULT '',
    returned_at    BIGINT,
    return_reason  TEXT NOT NULL DEFAULT '',
    extension_days INTEGER NOT NULL DEFAULT 0,
    ext_requested_days INTEGER NOT NULL DEFAULT 0, -- a pending extension request (0 = none)
    warned         INTEGER NOT NULL DEFAULT 0,
    overdue        INTEGER NOT NULL DEFAULT 0,
    escalated      INTEGER NOT NULL DEFAULT 0,
    rating         INTEGER,               -- 1..5, given by whoever raised the case
    rating_note    TEXT NOT NULL DEFAULT '',
    closed_at      BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX assignments_case ON assignments(case_id);
CREATE INDEX assignments_unit ON assignments(unit_path, status, dispatched_at);
CREATE INDEX assignments_unit_id ON assignments(unit_id, status);

-- The append-only timeline.
CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    assignment_id INTEGER REFERENCES assignments(id),
    at            BIGINT NOT NULL,
    user_id       BIGINT,
    actor_name    TEXT NOT NULL,
    actor_unit_id INTEGER REFERENCES units(id),
    action        TEXT NOT NULL,         -- receive, dispatch, sign, return, answer, revisit, warn, overdue, escalate, ...
    from_status   TEXT NOT NULL DEFAULT '',
    to_status     TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    data_json     TEXT NOT NULL DEFAULT '',
    public        INTEGER NOT NULL DEFAULT 0, -- shown to the requester on the portal (daily feedback)
    public_text   TEXT NOT NULL DEFAULT '',   -- what the requester reads (when public = 1)
    timer_id      BIGINT                      -- the deadline timer that wrote it (warn, overdue, escalate)
);
CREATE INDEX case_events_case ON case_events(case_id, id);
CREATE UNIQUE INDEX case_events_timer ON case_events(timer_id, action) WHERE timer_id IS NOT NULL;
CREATE INDEX case_events_at ON case_events(at, action);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id),
    event_id     INTEGER REFERENCES case_events(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    storage_key  TEXT NOT NULL,   -- relative path under the attachments folder
    stage        TEXT NOT NULL DEFAULT '', -- before, after, evidence, material
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);

-- Chinese keyword search: CJK bigrams (and latin words) made in Go, one row per case.
CREATE VIRTUAL TABLE case_search USING fts5(tokens, tokenize = 'unicode61');

-- Daily collection, daily feedback: one summary per unit and day.
CREATE TABLE daily_summaries (
    id            INTEGER PRIMARY KEY,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    day           TEXT NOT NULL,   -- YYYY-MM-DD
    collected     INTEGER NOT NULL,
    fed_back      INTEGER NOT NULL,
    not_fed_back  INTEGER NOT NULL,
    data_json     TEXT NOT NULL DEFAULT '',
    generated_at  BIGINT NOT NULL,
    UNIQUE (unit_id, day)
);
