-- The lists decide (issue 21, points 8–12).
--
-- A case names its matter (事项) from the catalogue: an enforcement case, a
-- county department's hand-down. The access list and the empowerment list
-- are checked against it.
ALTER TABLE cases ADD COLUMN matter_code TEXT NOT NULL DEFAULT '';

-- What a recorded attempt was: a hand-off of work ('handoff'), a township's
-- decision on a matter ('decision', the empowerment list), or a document a
-- county department issues to townships ('document').
ALTER TABLE access_attempts ADD COLUMN kind TEXT NOT NULL DEFAULT 'handoff';

-- 差别化赋权: an empowerment item may name a single township (unit_id);
-- item_key then ends in "@<unit id>".

-- Responsibility letters, quotas, acceptance checks and one-vote vetoes
-- (责任状、分解下达指标、考核验收、一票否决) county departments issue to
-- townships. A new one is admitted only for matters the access list admits;
-- existing ones are registered for the clean-up, whose result is recorded.
CREATE TABLE duty_documents (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,             -- letter, quota, acceptance, veto
    title          TEXT NOT NULL,
    dept_unit_id   INTEGER NOT NULL REFERENCES units(id),
    doc_no         TEXT NOT NULL DEFAULT '',
    issued_at      BIGINT NOT NULL,
    existing       INTEGER NOT NULL DEFAULT 0, -- registered for the clean-up (存量), not newly issued
    status         TEXT NOT NULL,             -- in_force, abolished, kept
    cleanup_reason TEXT NOT NULL DEFAULT '',
    cleanup_doc    TEXT NOT NULL DEFAULT '',  -- the approving document of the clean-up
    cleaned_by     BIGINT,
    cleaned_name   TEXT NOT NULL DEFAULT '',
    cleaned_at     BIGINT,
    list_version   INTEGER NOT NULL DEFAULT 0, -- the access list's version it was admitted under
    demo           INTEGER NOT NULL DEFAULT 0,
    created_by     BIGINT,
    created_name   TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);
CREATE INDEX duty_documents_dept ON duty_documents(dept_unit_id, status);

CREATE TABLE duty_document_townships (
    document_id INTEGER NOT NULL REFERENCES duty_documents(id) ON DELETE CASCADE,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (document_id, unit_id)
);

CREATE TABLE duty_document_matters (
    document_id INTEGER NOT NULL REFERENCES duty_documents(id) ON DELETE CASCADE,
    matter_id   INTEGER NOT NULL REFERENCES matters(id),
    PRIMARY KEY (document_id, matter_id)
);
