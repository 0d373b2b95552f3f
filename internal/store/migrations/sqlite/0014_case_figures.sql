-- The rates (internal/stats, docs/RATES.md) from daily sums instead of a
-- scan of every case of the period: a county month is 84,000 cases at a
-- million a year and took ~200 ms; a year took seconds.
--
-- case_figures is the one definition, in SQL, of what each case counts
-- towards: the day it was received (days since 1970-01-01 in China Standard
-- Time, UTC+8), the unit it is attributed to (its current lead's unit, or
-- where it happened when never dispatched) and one 0/1 per count.
CREATE VIEW case_figures AS
SELECT c.id, c.created_at,
    (c.created_at + 28800000) / 86400000 AS day,
    COALESCE(NULLIF(c.lead_path, ''), c.place_path) AS path,
    1 AS cases,
    CASE WHEN c.lead_assignment_id IS NOT NULL THEN 1 ELSE 0 END AS dispatched,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_signed_at IS NOT NULL
        AND (c.lead_sign_due_at IS NULL OR c.lead_signed_at <= c.lead_sign_due_at) THEN 1 ELSE 0 END AS responded,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_overdue = 1 THEN 1 ELSE 0 END AS overdue,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.extensions > 0 THEN 1 ELSE 0 END AS extended,
    CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END AS answered,
    CASE WHEN c.answered_at IS NOT NULL AND (COALESCE(c.lead_handle_due_at, c.handle_due_at) IS NULL
        OR c.answered_at <= COALESCE(c.lead_handle_due_at, c.handle_due_at)) THEN 1 ELSE 0 END AS on_time,
    CASE WHEN c.revisited_at IS NOT NULL THEN 1 ELSE 0 END AS revisited,
    CASE WHEN c.revisited_at IS NOT NULL AND c.resolved = 1 THEN 1 ELSE 0 END AS resolved,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'satisfied' THEN 1 ELSE 0 END AS satisfied,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'basic' THEN 1 ELSE 0 END AS basic,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END AS unsatisfied,
    CASE WHEN c.revisited_at IS NOT NULL AND c.reopens > 0 THEN 1 ELSE 0 END AS reopened
FROM cases c;

-- The sums per day and unit, folded from case_figures_changes by the
-- server (stats.Fold, every few seconds); a reader adds the changes not
-- yet folded, so the figures are always exact.
CREATE TABLE case_figures_daily (
    day         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    cases       INTEGER NOT NULL,
    dispatched  INTEGER NOT NULL,
    responded   INTEGER NOT NULL,
    overdue     INTEGER NOT NULL,
    extended    INTEGER NOT NULL,
    answered    INTEGER NOT NULL,
    on_time     INTEGER NOT NULL,
    revisited   INTEGER NOT NULL,
    resolved    INTEGER NOT NULL,
    satisfied   INTEGER NOT NULL,
    basic       INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    reopened    INTEGER NOT NULL,
    PRIMARY KEY (day, path)
);

-- Every change to a case's counts, as a row to add: the old counts negated
-- and the new ones. Triggers write it, so no writer of cases (the engine,
-- imports, a migration) can forget; inserts only, so concurrent
-- transactions on PostgreSQL never wait on a shared sum row.
CREATE TABLE case_figures_changes (
    id          INTEGER PRIMARY KEY,
    day         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    cases       INTEGER NOT NULL,
    dispatched  INTEGER NOT NULL,
    responded   INTEGER NOT NULL,
    overdue     INTEGER NOT NULL,
    extended    INTEGER NOT NULL,
    answered    INTEGER NOT NULL,
    on_time     INTEGER NOT NULL,
    revisited   INTEGER NOT NULL,
    resolved    INTEGER NOT NULL,
    satisfied   INTEGER NOT NULL,
    basic       INTEGER NOT NULL,
    unsatisfied INTEGER NOT NULL,
    reopened    INTEGER NOT NULL
);

INSERT INTO case_figures_daily
SELECT day, path, SUM(cases), SUM(dispatched), SUM(responded), SUM(overdue), SUM(extended), SUM(answered),
    SUM(on_time), SUM(revisited), SUM(resolved), SUM(satisfied), SUM(basic), SUM(unsatisfied), SUM(reopened)
FROM case_figures GROUP BY day, path;

CREATE TRIGGER case_figures_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_figures_changes (day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened)
    SELECT day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened
    FROM case_figures WHERE id = NEW.id;
END;

-- An update that touches what the counts read: before it, take the old
-- counts away; after it, add the new ones.
CREATE TRIGGER case_figures_update_old BEFORE UPDATE OF created_at, lead_path, place_path, lead_assignment_id,
    lead_signed_at, lead_sign_due_at, lead_overdue, lead_handle_due_at, handle_due_at, answered_at, extensions,
    revisited_at, resolved, satisfaction, reopens ON cases
WHEN (OLD.created_at, OLD.lead_path, OLD.place_path, OLD.lead_assignment_id, OLD.lead_signed_at, OLD.lead_sign_due_at,
        OLD.lead_overdue, OLD.lead_handle_due_at, OLD.handle_due_at, OLD.answered_at, OLD.extensions, OLD.revisited_at,
        OLD.resolved, OLD.satisfaction, OLD.reopens)
    IS NOT (NEW.created_at, NEW.lead_path, NEW.place_path, NEW.lead_assignment_id, NEW.lead_signed_at, NEW.lead_sign_due_at,
        NEW.lead_overdue, NEW.lead_handle_due_at, NEW.handle_due_at, NEW.answered_at, NEW.extensions, NEW.revisited_at,
        NEW.resolved, NEW.satisfaction, NEW.reopens)
BEGIN
    INSERT INTO case_figures_changes (day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened)
    SELECT day, path, -cases, -dispatched, -responded, -overdue, -extended, -answered,
        -on_time, -revisited, -resolved, -satisfied, -basic, -unsatisfied, -reopened
    FROM case_figures WHERE id = OLD.id;
END;

CREATE TRIGGER case_figures_update_new AFTER UPDATE OF created_at, lead_path, place_path, lead_assignment_id,
    lead_signed_at, lead_sign_due_at, lead_overdue, lead_handle_due_at, handle_due_at, answered_at, extensions,
    revisited_at, resolved, satisfaction, reopens ON cases
WHEN (OLD.created_at, OLD.lead_path, OLD.place_path, OLD.lead_assignment_id, OLD.lead_signed_at, OLD.lead_sign_due_at,
        OLD.lead_overdue, OLD.lead_handle_due_at, OLD.handle_due_at, OLD.answered_at, OLD.extensions, OLD.revisited_at,
        OLD.resolved, OLD.satisfaction, OLD.reopens)
    IS NOT (NEW.created_at, NEW.lead_path, NEW.place_path, NEW.lead_assignment_id, NEW.lead_signed_at, NEW.lead_sign_due_at,
        NEW.lead_overdue, NEW.lead_handle_due_at, NEW.handle_due_at, NEW.answered_at, NEW.extensions, NEW.revisited_at,
        NEW.resolved, NEW.satisfaction, NEW.reopens)
BEGIN
    INSERT INTO case_figures_changes (day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened)
    SELECT day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened
    FROM case_figures WHERE id = NEW.id;
END;

CREATE TRIGGER case_figures_delete BEFORE DELETE ON cases BEGIN
    INSERT INTO case_figures_changes (day, path, cases, dispatched, responded, overdue, extended, answered,
        on_time, revisited, resolved, satisfied, basic, unsatisfied, reopened)
    SELECT day, path, -cases, -dispatched, -responded, -overdue, -extended, -answered,
        -on_time, -revisited, -resolved, -satisfied, -basic, -unsatisfied, -reopened
    FROM case_figures WHERE id = OLD.id;
END;
