-- The cockpit's monthly reports (月报): a snapshot of the cockpit's figures
-- for the county and each township, written once per month by the daily
-- job, so that staff download past months as they were sent out.
CREATE TABLE cockpit_reports (
    id         INTEGER PRIMARY KEY,
    unit_id    INTEGER NOT NULL REFERENCES units(id),
    unit_path  TEXT NOT NULL,
    month      TEXT NOT NULL,           -- 2026-11
    created_at BIGINT NOT NULL,
    data       TEXT NOT NULL,           -- the report as JSON (cockpit.Report)
    UNIQUE (unit_id, month)
);
CREATE INDEX cockpit_reports_month ON cockpit_reports(month, unit_path);

-- The cockpit's supervised cases (督办中): open and supervised at least once,
-- a few among a year's million, found without reading the others.
CREATE INDEX cases_supervised_open ON cases(id) WHERE supervisions > 0 AND closed_at IS NULL;
