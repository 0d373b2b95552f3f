-- The universal service window (便民服务): service items built on the
-- catalogue's matters, the service network (centres, village service points,
-- windows, staff), one-time notices, applications (each a case of the flow
-- "service"), reviews, and the case engine's paused deadlines.

-- A service item: a matter of the catalogue with what an applicant needs.
CREATE TABLE service_items (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,      -- the matter's code
    matter_id     INTEGER NOT NULL REFERENCES matters(id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,             -- immediate (即办件), promised (承诺件)
    level         TEXT NOT NULL,             -- county, township, village: who handles it
    dept_unit_id  INTEGER REFERENCES units(id), -- the responsible county department
    office        TEXT NOT NULL DEFAULT '',  -- the township institution that handles it (社会事务办公室)
    legal_days    INTEGER NOT NULL DEFAULT 0, -- legal time limit, working days
    promised_days INTEGER NOT NULL DEFAULT 0, -- promised time limit, working days (0 for immediate items)
    fee_cents     INTEGER NOT NULL DEFAULT 0,
    fee_note      TEXT NOT NULL DEFAULT '',
    conditions    TEXT NOT NULL DEFAULT '',  -- 受理条件
    online        INTEGER NOT NULL DEFAULT 0, -- 全程网办
    one_visit     INTEGER NOT NULL DEFAULT 0, -- 最多跑一次
    proxy         INTEGER NOT NULL DEFAULT 0, -- 代办
    nearby        INTEGER NOT NULL DEFAULT 0, -- 就近办
    citywide      INTEGER NOT NULL DEFAULT 0, -- 同城通办
    cross_region  INTEGER NOT NULL DEFAULT 0, -- 异地可办
    devolved      INTEGER NOT NULL DEFAULT 0, -- 下沉事项: moved down to townships
    active        INTEGER NOT NULL DEFAULT 1,
    demo          INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX service_items_name ON service_items(name);

CREATE TABLE service_materials (
    id        INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL REFERENCES service_items(id) ON DELETE CASCADE,
    sort      INTEGER NOT NULL DEFAULT 0,
    name      TEXT NOT NULL,
    form      TEXT NOT NULL,                 -- original, copy, original_copy, electronic
    copies    INTEGER NOT NULL DEFAULT 1,
    required  INTEGER NOT NULL DEFAULT 1,
    sample    TEXT NOT NULL DEFAULT '',      -- what a good one looks like (样表说明)
    UNIQUE (item_id, name)
);

-- The service network: a centre per township/street, service points in villages.
CREATE TABLE service_sites (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL UNIQUE REFERENCES units(id),
    kind       TEXT NOT NULL,                -- centre, point
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    hours      TEXT NOT NULL DEFAULT '',
    demo       INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE service_windows (
    id      INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES service_sites(id) ON DELETE CASCADE,
    no      TEXT NOT NULL,                   -- 1, 2, 3 ...
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,                   -- universal (综合受理), delivery (统一出件), proxy (代办)
    UNIQUE (site_id, no)
);
CREATE TABLE service_staff (
    id        INTEGER PRIMARY KEY,
    site_id   INTEGER NOT NULL REFERENCES service_sites(id) ON DELETE CASCADE,
    window_id INTEGER REFERENCES service_windows(id) ON DELETE SET NULL,
    user_id   BIGINT,
    name      TEXT NOT NULL,
    post      TEXT NOT NULL DEFAULT '',
    demo      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX service_staff_site ON service_staff(site_id);

-- One-time notices (一次性告知书): everything missing, named once. listed_json
-- holds every required material of the item when the notice was given, so a
-- later visit cannot be asked for one the notice could have named.
CREATE TABLE service_notices (
    id             INTEGER PRIMARY KEY,
    no             TEXT NOT NULL UNIQUE,
    item_id        INTEGER NOT NULL REFERENCES service_items(id),
    site_id        INTEGER REFERENCES service_sites(id),
    window_id      INTEGER REFERENCES service_windows(id),
    applicant_name TEXT NOT NULL,
    phone_hash     TEXT NOT NULL,
    phone_last4    TEXT NOT NULL,
    missing_json   TEXT NOT NULL,            -- [{"id":..,"name":..}] the materials named
    listed_json    TEXT NOT NULL,            -- [id, ...] every required material then
    note           TEXT NOT NULL DEFAULT '',
    issued_by      BIGINT,
    issuer_name    TEXT NOT NULL DEFAULT '',
    issued_at      BIGINT NOT NULL,
    application_id INTEGER                   -- the application that followed
);
CREATE INDEX service_notices_applicant ON service_notices(item_id, phone_hash, issued_at);

-- An application: the service side of a case of the flow "service".
CREATE TABLE service_applications (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    item_id          INTEGER NOT NULL REFERENCES service_items(id),
    kind             TEXT NOT NULL,          -- immediate, promised
    channel          TEXT NOT NULL,          -- window, online, proxy
    site_id          INTEGER REFERENCES service_sites(id),    -- where it was accepted
    centre_id        INTEGER REFERENCES service_sites(id),    -- the township centre it counts under
    window_id        INTEGER REFERENCES service_windows(id),
    handling_unit_id INTEGER NOT NULL REFERENCES units(id),   -- the back office
    office           TEXT NOT NULL DEFAULT '',
    township_level   INTEGER NOT NULL DEFAULT 0, -- handled at township (or village) level
    applicant_name   TEXT NOT NULL,
    phone_hash       TEXT NOT NULL DEFAULT '',
    materials_json   TEXT NOT NULL DEFAULT '', -- the materials checked or uploaded
    consent          INTEGER NOT NULL DEFAULT 0, -- proxy: the resident's consent recorded
    consent_note     TEXT NOT NULL DEFAULT '',
    fee_cents        INTEGER NOT NULL DEFAULT 0,
    paid_by_proxy    INTEGER NOT NULL DEFAULT 0, -- 代缴
    payment_ref      TEXT NOT NULL DEFAULT '',
    accepted_at      BIGINT NOT NULL,
    decided_at       BIGINT,
    decision         TEXT NOT NULL DEFAULT '', -- approved, refused
    on_time          INTEGER,                  -- decided within the limit (NULL undecided)
    delivered_at     BIGINT,
    delivery         TEXT NOT NULL DEFAULT '', -- window, post, online
    delivery_ref     TEXT NOT NULL DEFAULT '', -- the postal tracking number, the e-licence number
    visits           INTEGER NOT NULL DEFAULT 0, -- trips the applicant made (跑动次数)
    demo             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX service_applications_item ON service_applications(item_id, accepted_at);
CREATE INDEX service_applications_centre ON service_applications(centre_id, accepted_at);
CREATE INDEX service_applications_unit ON service_applications(handling_unit_id, accepted_at);

-- Good and bad reviews (好差评) after delivery: one per application.
CREATE TABLE service_reviews (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER NOT NULL UNIQUE REFERENCES service_applications(id),
    rating         INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5), -- 5 非常满意 ... 1 非常不满意
    channel        TEXT NOT NULL,           -- window, online
    note           TEXT NOT NULL DEFAULT '',
    at             BIGINT NOT NULL
);

-- The case engine's paused deadlines (the clock stops while an applicant
-- supplies materials): what was left, in working minutes, when it stopped.
CREATE TABLE case_pauses (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    assignment_id INTEGER REFERENCES assignments(id),
    deadline      TEXT NOT NULL,
    paused_at     BIGINT NOT NULL,
    left_minutes  INTEGER NOT NULL,
    resumed_at    BIGINT
);
CREATE INDEX case_pauses_case ON case_pauses(case_id, deadline);
