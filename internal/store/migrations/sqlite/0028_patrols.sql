-- The patrol and people's-conditions log (巡查日志、民情日志, issue 18): a
-- grid worker's patrol as it happens on the phone — start, notes of what was
-- seen (民情), optional points of where, end. Location is optional evidence,
-- never a compulsory check-in. What the patrol found as cases is not kept
-- here: the grid events its worker reported between start and end.
CREATE TABLE patrols (
    id           INTEGER PRIMARY KEY,
    grid_unit_id INTEGER NOT NULL REFERENCES units(id),
    user_id      INTEGER NOT NULL,
    actor_name   TEXT NOT NULL,
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT,
    summary      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patrols_grid ON patrols(grid_unit_id, started_at);
-- One open patrol per worker.
CREATE UNIQUE INDEX patrols_open ON patrols(user_id) WHERE ended_at IS NULL;

CREATE TABLE patrol_notes (
    id        INTEGER PRIMARY KEY,
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    at        BIGINT NOT NULL,
    kind      TEXT NOT NULL,              -- note (民情) or point (where)
    note      TEXT NOT NULL DEFAULT '',
    lng       DOUBLE PRECISION,
    lat       DOUBLE PRECISION,
    client_id TEXT                        -- the phone's id: a resend is taken once
);
CREATE INDEX patrol_notes_patrol ON patrol_notes(patrol_id, at);
CREATE UNIQUE INDEX patrol_notes_client ON patrol_notes(patrol_id, client_id) WHERE client_id IS NOT NULL;
