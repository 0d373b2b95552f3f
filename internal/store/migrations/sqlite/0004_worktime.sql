-- Working time: the official calendar (public holidays and make-up working
-- days), settings kept in the database, deadline timers fired exactly once,
-- and the runs of periodic jobs (once per period across instances).
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,            -- 'YYYY-MM-DD' in Asia/Shanghai
    kind       TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       TEXT NOT NULL DEFAULT '',    -- 国庆节, 国庆节调休上班 ...
    updated_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT ''
);

-- A timer is a deadline job: scheduled in the transaction that starts it,
-- claimed by one sweeper and fired (fired_at set) in the transaction of its
-- handler's writes. A failed handler leaves it unfired until retry_at.
CREATE TABLE timers (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    case_id       BIGINT NOT NULL,
    assignment_id BIGINT,                   -- NULL: the case's own timer
    due_at        BIGINT NOT NULL,
    payload       TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    fired_at      BIGINT,
    fired_by      TEXT,                     -- instance id of the sweeper
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    retry_at      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX timers_due ON timers(due_at) WHERE fired_at IS NULL;
CREATE INDEX timers_case ON timers(case_id, assignment_id);

CREATE TABLE jobs_runs (
    job      TEXT NOT NULL,
    period   TEXT NOT NULL,                 -- e.g. '2026-11-26' for a daily job
    ran_at   BIGINT NOT NULL,
    instance TEXT NOT NULL,
    PRIMARY KEY (job, period)
);
