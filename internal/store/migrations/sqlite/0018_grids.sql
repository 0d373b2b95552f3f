-- The grid as the front line: contact groups (业主群、党员群) of a building,
-- lane or grid, recorded by hand (the system never connects to chat apps),
-- and the households of a building, whose head's phone and ID number are
-- sealed like every other person's.

CREATE TABLE contact_groups (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id), -- a building, lane or grid
    kind        TEXT NOT NULL,             -- owners, party, residents, other
    name        TEXT NOT NULL,
    platform    TEXT NOT NULL DEFAULT '',  -- free text: 微信群, 钉钉群 ...
    run_by      TEXT NOT NULL DEFAULT '',  -- who runs it (a name, as typed)
    members     INTEGER NOT NULL DEFAULT 0,
    demo        INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX contact_groups_unit ON contact_groups(unit_id);

CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id), -- a building or lane
    room        TEXT NOT NULL,             -- 门牌/房号
    head_name   TEXT NOT NULL,
    head_phone_enc  TEXT NOT NULL DEFAULT '',
    head_phone_hash TEXT NOT NULL DEFAULT '',
    head_id_enc     TEXT NOT NULL DEFAULT '',
    head_id_hash    TEXT NOT NULL DEFAULT '',
    residents   INTEGER NOT NULL DEFAULT 1,
    demo        INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (unit_id, room)
);
