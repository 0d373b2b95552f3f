-- The residents of a household (issue 18): one row per person living in a
-- household of 0018, by name, relation to the head, gender and birth year;
-- the phone and ID number sealed and hashed like every other person's, and
-- a short note. No sensitive category is kept here. A household's
-- residents count is the number of these rows when it has any.

CREATE TABLE residents (
    id            INTEGER PRIMARY KEY,
    household_id  INTEGER NOT NULL REFERENCES households(id),
    name          TEXT NOT NULL,
    relation      TEXT NOT NULL,             -- 户主, 配偶, 子女, 父母, 其他
    gender        TEXT NOT NULL DEFAULT '',  -- 男, 女 or ''
    birth_year    INTEGER NOT NULL DEFAULT 0,
    phone_enc     TEXT NOT NULL DEFAULT '',
    phone_hash    TEXT NOT NULL DEFAULT '',
    id_enc        TEXT NOT NULL DEFAULT '',
    id_hash       TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    demo          INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX residents_household ON residents(household_id);
