-- The big working committee and the big party committee (街道"大工委"、社区
-- "大党委"): a street's party working committee and a community's party
-- committee (party_orgs) list their full and part-time members (兼职委员,
-- from county departments and co-building units in the area, with a term),
-- and record their meetings (date, place, attendees, decisions, the
-- co-building commitments on the agenda, follow-up items that may become
-- cases). Party-mass service centres (党群服务中心) are places where
-- activities happen.

CREATE TABLE party_centres (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),   -- the township, street or community it serves
    name       TEXT NOT NULL,
    address    TEXT NOT NULL DEFAULT '',
    demo       INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX party_centres_name ON party_centres(unit_id, name);

-- The centre an activity takes place at (party_activities.place keeps its name).
ALTER TABLE party_activities ADD COLUMN centre_id INTEGER REFERENCES party_centres(id);

CREATE TABLE committee_members (
    id           INTEGER PRIMARY KEY,
    party_org_id INTEGER NOT NULL REFERENCES party_orgs(id),
    name         TEXT NOT NULL,
    post         TEXT NOT NULL DEFAULT '',          -- 书记、副书记、委员…
    part_time    INTEGER NOT NULL DEFAULT 0,         -- 1: 兼职委员
    from_unit_id INTEGER REFERENCES units(id),       -- a part-time member's department or co-building unit
    term_from    TEXT NOT NULL,                      -- YYYY-MM-DD
    term_to      TEXT NOT NULL,
    demo         INTEGER NOT NULL DEFAULT 0,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX committee_members_org ON committee_members(party_org_id);

CREATE TABLE committee_meetings (
    id           INTEGER PRIMARY KEY,
    party_org_id INTEGER NOT NULL REFERENCES party_orgs(id),
    held_on      TEXT NOT NULL,                      -- YYYY-MM-DD
    centre_id    INTEGER REFERENCES party_centres(id),
    title        TEXT NOT NULL,
    attendees    TEXT NOT NULL,                      -- names, separated by 、
    decisions    TEXT NOT NULL,
    demo         INTEGER NOT NULL DEFAULT 0,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX committee_meetings_org ON committee_meetings(party_org_id, held_on);

-- The co-building commitments a meeting took up.
CREATE TABLE meeting_agenda (
    meeting_id    INTEGER NOT NULL REFERENCES committee_meetings(id),
    commitment_id INTEGER NOT NULL REFERENCES co_building_commitments(id),
    PRIMARY KEY (meeting_id, commitment_id)
);

-- A meeting's follow-up items; one raised as a case names it.
CREATE TABLE meeting_followups (
    id         INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES committee_meetings(id),
    what       TEXT NOT NULL,
    case_id    INTEGER REFERENCES cases(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX meeting_followups_meeting ON meeting_followups(meeting_id);
