-- The catalogue of matters and the executable lists (power & responsibility,
-- territorial, access, empowerment) that routing obeys. See docs/MATTER-CODES.md.

-- A matter (事项) with the four unifications: type, name, legal basis, code.
-- code = type (2 letters) + main item (5 digits) + sub-item (3 digits).
CREATE TABLE matters (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,          -- XK, CF, QZ, ZS, JF, JC, QR, JL, CJ, QT, GF
    name          TEXT NOT NULL,
    basis_law     TEXT NOT NULL DEFAULT '', -- the law's title without 《》
    basis_article TEXT NOT NULL DEFAULT '', -- 第十二条 ...
    demo          INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX matters_type ON matters(type, code);

-- Empowerment batches (成熟一批、下放一批): a batch number, the document that
-- grants it and the day it takes effect.
CREATE TABLE empowerment_batches (
    id           INTEGER PRIMARY KEY,
    batch_no     TEXT NOT NULL UNIQUE,
    doc_no       TEXT NOT NULL DEFAULT '',
    effective_at BIGINT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    demo         INTEGER NOT NULL DEFAULT 0,
    created_by   BIGINT,
    created_at   BIGINT NOT NULL
);

-- Each list's current version number; the row is locked by the update that
-- takes the next number, so concurrent changes are numbered one after another.
CREATE TABLE list_heads (
    list    TEXT PRIMARY KEY,      -- power, territorial, access, empowerment
    version INTEGER NOT NULL DEFAULT 0
);
INSERT INTO list_heads (list, version) VALUES ('power', 0), ('territorial', 0), ('access', 0), ('empowerment', 0);

-- One row per change of a list: who, when, why, and how many items changed.
CREATE TABLE list_versions (
    id         INTEGER PRIMARY KEY,
    list       TEXT NOT NULL,
    no         INTEGER NOT NULL,
    at         BIGINT NOT NULL,
    user_id    BIGINT,
    actor_name TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    added      INTEGER NOT NULL DEFAULT 0,
    removed    INTEGER NOT NULL DEFAULT 0,
    changed    INTEGER NOT NULL DEFAULT 0,
    demo       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (list, no)
);
CREATE INDEX list_versions_at ON list_versions(list, at);

-- The items of every list, versioned: a row is the item as it was from
-- version v_from up to (not including) v_to; v_to IS NULL for the current
-- list. A change closes the old row and inserts a new one, so any version is
-- "v_from <= N AND (v_to IS NULL OR v_to > N)". item_key identifies the item
-- across versions (power: township type + matter; territorial: matter;
-- access: department + matter; empowerment: township type + matter).
CREATE TABLE list_items (
    id             INTEGER PRIMARY KEY,
    list           TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    township_type  TEXT NOT NULL DEFAULT '',
    unit_id        INTEGER REFERENCES units(id),   -- territorial: lead department; access: department
    matter_id      INTEGER NOT NULL REFERENCES matters(id),
    batch_id       INTEGER REFERENCES empowerment_batches(id),
    subject        TEXT NOT NULL DEFAULT '',  -- 实施主体 (power)
    duties         TEXT NOT NULL DEFAULT '',  -- 责任事项 / 主体责任 / 准入工作内容
    accountability TEXT NOT NULL DEFAULT '',  -- 追责情形 (power)
    support_units  TEXT NOT NULL DEFAULT '',  -- territorial: supporting department codes, comma-separated
    support_duties TEXT NOT NULL DEFAULT '',  -- territorial: the township's supporting responsibility
    note           TEXT NOT NULL DEFAULT '',
    demo           INTEGER NOT NULL DEFAULT 0,
    v_from         INTEGER NOT NULL,
    v_to           INTEGER
);
CREATE UNIQUE INDEX list_items_current ON list_items(list, item_key) WHERE v_to IS NULL;
CREATE INDEX list_items_version ON list_items(list, v_from);
CREATE INDEX list_items_matter ON list_items(matter_id, list);
CREATE INDEX list_items_unit ON list_items(unit_id, list);

-- Case categories → matters: how routing finds a case's matter.
CREATE TABLE category_matters (
    category_code TEXT PRIMARY KEY,
    matter_id     INTEGER NOT NULL REFERENCES matters(id),
    demo          INTEGER NOT NULL DEFAULT 0,
    updated_at    BIGINT NOT NULL
);

-- Exceptions to the access list granted by the approval office (编办).
-- to_unit_id NULL means any township-level unit.
CREATE TABLE access_exceptions (
    id           INTEGER PRIMARY KEY,
    from_unit_id INTEGER NOT NULL REFERENCES units(id),
    to_unit_id   INTEGER REFERENCES units(id),
    matter_id    INTEGER NOT NULL REFERENCES matters(id),
    reason       TEXT NOT NULL,
    granted_by   BIGINT,
    granted_name TEXT NOT NULL,
    granted_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX access_exceptions_lookup ON access_exceptions(from_unit_id, matter_id);

-- Every checked assignment from a county department to a township-level unit.
CREATE TABLE access_attempts (
    id            INTEGER PRIMARY KEY,
    at            BIGINT NOT NULL,
    user_id       BIGINT,
    actor_name    TEXT NOT NULL,
    from_unit_id  INTEGER NOT NULL REFERENCES units(id),
    to_unit_id    INTEGER NOT NULL REFERENCES units(id),
    matter_id     INTEGER REFERENCES matters(id),
    matter_code   TEXT NOT NULL DEFAULT '',
    category_code TEXT NOT NULL DEFAULT '',
    allowed       INTEGER NOT NULL,
    exception_id  INTEGER REFERENCES access_exceptions(id),
    list_version  INTEGER NOT NULL,
    purpose       TEXT NOT NULL DEFAULT '',  -- what was being assigned (case number, task ...)
    message       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_attempts_from ON access_attempts(from_unit_id, at);
CREATE INDEX access_attempts_at ON access_attempts(at);

-- 基层点单: a township asks for a power; the county grants it in a batch or refuses.
CREATE TABLE empowerment_requests (
    id               INTEGER PRIMARY KEY,
    township_unit_id INTEGER NOT NULL REFERENCES units(id),
    matter_id        INTEGER NOT NULL REFERENCES matters(id),
    reason           TEXT NOT NULL,
    status           TEXT NOT NULL,           -- pending, granted, refused
    requested_by     BIGINT,
    requested_name   TEXT NOT NULL,
    requested_at     BIGINT NOT NULL,
    reviewed_by      BIGINT,
    reviewed_name    TEXT NOT NULL DEFAULT '',
    reviewed_at      BIGINT,
    review_note      TEXT NOT NULL DEFAULT '',
    batch_id         INTEGER REFERENCES empowerment_batches(id),
    demo             INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX empowerment_requests_status ON empowerment_requests(status, requested_at);
CREATE INDEX empowerment_requests_township ON empowerment_requests(township_unit_id, status);
