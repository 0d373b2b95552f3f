-- The organisation network: administrative units and party organisations,
-- two linked trees with materialised paths ("/1/5/78/") for cheap subtrees.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES units(id),
    path        TEXT NOT NULL UNIQUE,
    depth       INTEGER NOT NULL,
    sort        INTEGER NOT NULL DEFAULT 0,
    unit_type   TEXT NOT NULL DEFAULT '',   -- NBS type: 街道, 镇, 乡, 村委会, 居委会 ...
    township_type TEXT NOT NULL DEFAULT '', -- 城区街道, 中心镇, 一般乡镇 (lists differ by type)
    urban_rural_code TEXT NOT NULL DEFAULT '',
    -- centre point in GCJ-02 (the datum of Chinese map services, as the NBS
    -- divisions file publishes it); boundaries below are WGS-84 (GPS)
    lng         REAL,
    lat         REAL,
    boundary    TEXT NOT NULL DEFAULT '',   -- GeoJSON geometry (WGS-84) for grids
    -- bounding box of boundary (WGS-84), a cheap prefilter for point-in-grid look-ups
    min_lng     REAL,
    min_lat     REAL,
    max_lng     REAL,
    max_lat     REAL,
    demo        INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id, sort, code);
CREATE INDEX units_kind ON units(kind);
CREATE INDEX units_name ON units(name);
CREATE INDEX units_bbox ON units(kind, min_lng, max_lng);

-- Functional modules (大党建 ...) and institutions (党政综合办 ...) of a township.
CREATE TABLE unit_modules (
    id       INTEGER PRIMARY KEY,
    unit_id  INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    sort     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (unit_id, name)
);
CREATE TABLE institutions (
    id        INTEGER PRIMARY KEY,
    unit_id   INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    module_id INTEGER REFERENCES unit_modules(id) ON DELETE SET NULL,
    kind      TEXT NOT NULL,   -- office, team, centre
    name      TEXT NOT NULL,
    sort      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (unit_id, name)
);

CREATE TABLE party_orgs (
    id        INTEGER PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL,   -- county_committee, working_committee, township_committee, community_committee, village_branch, grid_branch, party_group
    parent_id INTEGER REFERENCES party_orgs(id),
    path      TEXT NOT NULL UNIQUE,
    depth     INTEGER NOT NULL,
    unit_id   INTEGER NOT NULL REFERENCES units(id),
    demo      INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX party_orgs_parent ON party_orgs(parent_id);
CREATE INDEX party_orgs_unit ON party_orgs(unit_id);

-- People in roles tied to units: grid workers, building and street leaders,
-- party members (with home community for dual registration), cadres.
-- Phone and ID numbers are AES-GCM sealed; *_hash columns allow exact lookup.
CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    role          TEXT NOT NULL,  -- grid_worker, building_leader, street_leader, party_member, cadre, resident
    party_org_id  INTEGER REFERENCES party_orgs(id),
    home_unit_id  INTEGER REFERENCES units(id), -- dual registration: community where a serving member lives
    phone_enc     TEXT NOT NULL DEFAULT '',
    phone_hash    TEXT NOT NULL DEFAULT '',
    id_no_enc     TEXT NOT NULL DEFAULT '',
    id_no_hash    TEXT NOT NULL DEFAULT '',
    demo          INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX people_unit ON people(unit_id, role);
CREATE INDEX people_home ON people(home_unit_id);
CREATE INDEX people_phone ON people(phone_hash);
CREATE INDEX people_party_org ON people(party_org_id);
