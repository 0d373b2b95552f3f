-- The sums per month and unit (issue 19, docs/COCKPIT.md "Cost"): the
-- cockpit's 12-month trend read a year of daily sums (80,000 rows at 100,000
-- cases, some 250,000 at a million) on every refresh; a year of monthly sums
-- is a few thousand rows. month is the day number (as case_figures_daily.day:
-- days since 1970-01-01 in UTC+8) of the month's first day. Triggers on the
-- daily sums keep it, so whatever writes those (stats.Fold, a migration that
-- rebuilds them) keeps the months equal to the sum of their days.

CREATE TABLE case_figures_monthly (
    month          BIGINT NOT NULL,
    flow           TEXT NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    cases          BIGINT NOT NULL,
    dispatched     BIGINT NOT NULL,
    responded      BIGINT NOT NULL,
    signed         BIGINT NOT NULL,
    overdue        BIGINT NOT NULL,
    extended       BIGINT NOT NULL,
    answered       BIGINT NOT NULL,
    on_time        BIGINT NOT NULL,
    revisited      BIGINT NOT NULL,
    resolved       BIGINT NOT NULL,
    first_resolved BIGINT NOT NULL,
    satisfied      BIGINT NOT NULL,
    basic          BIGINT NOT NULL,
    unsatisfied    BIGINT NOT NULL,
    unreached      BIGINT NOT NULL,
    reopened       BIGINT NOT NULL,
    on_spot        BIGINT NOT NULL,
    PRIMARY KEY (month, flow, path)
);

INSERT INTO case_figures_monthly (month, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
SELECT (date_trunc('month', date '1970-01-01' + day::integer)::date - date '1970-01-01'), flow, path, SUM(cases), SUM(dispatched), SUM(responded), SUM(signed), SUM(overdue), SUM(extended), SUM(answered), SUM(on_time), SUM(revisited), SUM(resolved), SUM(first_resolved), SUM(satisfied), SUM(basic), SUM(unsatisfied), SUM(unreached), SUM(reopened), SUM(on_spot)
FROM case_figures_daily GROUP BY 1, flow, path;

CREATE FUNCTION case_figures_monthly_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO case_figures_monthly (month, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
        VALUES ((date_trunc('month', date '1970-01-01' + OLD.day::integer)::date - date '1970-01-01'), OLD.flow, OLD.path, -OLD.cases, -OLD.dispatched, -OLD.responded, -OLD.signed, -OLD.overdue, -OLD.extended, -OLD.answered, -OLD.on_time, -OLD.revisited, -OLD.resolved, -OLD.first_resolved, -OLD.satisfied, -OLD.basic, -OLD.unsatisfied, -OLD.unreached, -OLD.reopened, -OLD.on_spot)
        ON CONFLICT (month, flow, path) DO UPDATE SET cases = case_figures_monthly.cases + excluded.cases, dispatched = case_figures_monthly.dispatched + excluded.dispatched, responded = case_figures_monthly.responded + excluded.responded, signed = case_figures_monthly.signed + excluded.signed, overdue = case_figures_monthly.overdue + excluded.overdue, extended = case_figures_monthly.extended + excluded.extended, answered = case_figures_monthly.answered + excluded.answered, on_time = case_figures_monthly.on_time + excluded.on_time, revisited = case_figures_monthly.revisited + excluded.revisited, resolved = case_figures_monthly.resolved + excluded.resolved, first_resolved = case_figures_monthly.first_resolved + excluded.first_resolved, satisfied = case_figures_monthly.satisfied + excluded.satisfied, basic = case_figures_monthly.basic + excluded.basic, unsatisfied = case_figures_monthly.unsatisfied + excluded.unsatisfied, unreached = case_figures_monthly.unreached + excluded.unreached, reopened = case_figures_monthly.reopened + excluded.reopened, on_spot = case_figures_monthly.on_spot + excluded.on_spot;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO case_figures_monthly (month, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
        VALUES ((date_trunc('month', date '1970-01-01' + NEW.day::integer)::date - date '1970-01-01'), NEW.flow, NEW.path, NEW.cases, NEW.dispatched, NEW.responded, NEW.signed, NEW.overdue, NEW.extended, NEW.answered, NEW.on_time, NEW.revisited, NEW.resolved, NEW.first_resolved, NEW.satisfied, NEW.basic, NEW.unsatisfied, NEW.unreached, NEW.reopened, NEW.on_spot)
        ON CONFLICT (month, flow, path) DO UPDATE SET cases = case_figures_monthly.cases + excluded.cases, dispatched = case_figures_monthly.dispatched + excluded.dispatched, responded = case_figures_monthly.responded + excluded.responded, signed = case_figures_monthly.signed + excluded.signed, overdue = case_figures_monthly.overdue + excluded.overdue, extended = case_figures_monthly.extended + excluded.extended, answered = case_figures_monthly.answered + excluded.answered, on_time = case_figures_monthly.on_time + excluded.on_time, revisited = case_figures_monthly.revisited + excluded.revisited, resolved = case_figures_monthly.resolved + excluded.resolved, first_resolved = case_figures_monthly.first_resolved + excluded.first_resolved, satisfied = case_figures_monthly.satisfied + excluded.satisfied, basic = case_figures_monthly.basic + excluded.basic, unsatisfied = case_figures_monthly.unsatisfied + excluded.unsatisfied, unreached = case_figures_monthly.unreached + excluded.unreached, reopened = case_figures_monthly.reopened + excluded.reopened, on_spot = case_figures_monthly.on_spot + excluded.on_spot;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER case_figures_monthly_apply AFTER INSERT OR UPDATE OR DELETE ON case_figures_daily
    FOR EACH ROW EXECUTE FUNCTION case_figures_monthly_apply();

-- The cockpit's intake (by channel, request type and category, where the
-- case counts) and the week's hot spots (by category and grid, where it
-- happened) read only these columns of the period's cases: from the index
-- alone, not each case's row (a county month is 84,000 rows at a million a
-- year; 0.10 s → 0.03 s at 100,000 cases in the sqlite3 shell).
CREATE INDEX cases_intake ON cases(flow, created_at, lead_path, place_path, channel, request_type, category_id, grid_unit_id);
