-- The figures hold up in an assessment (issue 14, docs/RATES.md).
--
-- * 响应率 is first contact (先行联系): the lead's first call to the requester
--   (assignments.contacted_at, the `contact` action) by its contact deadline
--   (assignments.contact_due_at: 2 working hours for urgent cases, 1 working
--   day for others, settings casework.limit.contact...). Signing on time
--   (签收及时率) is a count of its own, `signed`.
-- * The figures are kept per flow: the 12345 rates count 12345 cases.
-- * A reopen cannot erase lateness: every answer is judged, when it is given,
--   against the deadline in force then (cases.late_answers counts the late
--   ones); on time means answered and never late.
-- * The first revisit's result is kept (cases.first_resolved, 一次解决率);
--   revisits without a satisfaction answer are counted (unreached, 未联系上).
-- * A returned case counts for the dispatching unit until it is
--   re-dispatched (cases.lead_path, internal/casework lead.go).

ALTER TABLE cases ADD COLUMN late_answers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN first_resolved INTEGER;
ALTER TABLE cases ADD COLUMN lead_contacted_at BIGINT;
ALTER TABLE cases ADD COLUMN lead_returned_at BIGINT;
ALTER TABLE cases ADD COLUMN lead_contact_due_at BIGINT;
ALTER TABLE assignments ADD COLUMN contacted_at BIGINT;
ALTER TABLE assignments ADD COLUMN contact_due_at BIGINT;

-- Backfill. Earlier answers' deadlines were not kept: an answer after the
-- deadline in force now counts as one late answer. A reopened case was
-- unresolved at its first revisit (a reopen follows only an unresolved one).
UPDATE cases SET late_answers = 1 WHERE answered_at IS NOT NULL
    AND answered_at > COALESCE(lead_handle_due_at, handle_due_at);
UPDATE cases SET first_resolved = CASE WHEN reopens > 0 THEN 0 ELSE resolved END WHERE revisited_at IS NOT NULL;
-- A part made by a ruling or a transfer acceptance (created in hand, never
-- to sign) counts as signed when it was made.
UPDATE assignments SET signed_at = dispatched_at WHERE signed_at IS NULL AND status <> 'to_sign' AND returned_at IS NULL
    AND role = 'lead' AND sign_due_at IS NULL;

-- The case's copy of its current lead, now with its contact and return (the
-- statement of internal/casework lead.go): a returned lead's case counts for
-- the unit that dispatched it until it is re-dispatched.
UPDATE cases SET (lead_assignment_id, lead_path, lead_signed_at, lead_sign_due_at, lead_overdue, lead_handle_due_at,
	lead_contacted_at, lead_contact_due_at, lead_returned_at) =
	(SELECT l.id, CASE WHEN a.returned_at IS NOT NULL THEN COALESCE(d.path, '') ELSE COALESCE(a.unit_path, '') END,
		a.signed_at, a.sign_due_at, COALESCE(a.overdue, 0), a.handle_due_at, a.contacted_at, a.contact_due_at, a.returned_at
	FROM (SELECT MAX(x.id) AS id FROM assignments x WHERE x.case_id = cases.id AND x.role = 'lead') l
	LEFT JOIN assignments a ON a.id = l.id
	LEFT JOIN units d ON d.id = a.dispatched_by_unit_id);

DROP TRIGGER case_figures_insert ON cases;
DROP TRIGGER case_figures_update_old ON cases;
DROP TRIGGER case_figures_update_new ON cases;
DROP TRIGGER case_figures_delete ON cases;
DROP FUNCTION case_figures_take_old();
DROP FUNCTION case_figures_add_new();
DROP VIEW case_figures;
DROP TABLE case_figures_daily;
DROP TABLE case_figures_changes;
DROP INDEX cases_rates;

-- The one definition, in SQL, of what each case counts towards (see
-- docs/RATES.md): its day (receipt date in UTC+8), flow, unit and one 0/1 per
-- count. The time-dependent part of 超期 (still open past the deadline now)
-- is added by the reader (internal/stats openLate), never stored.
CREATE VIEW case_figures AS
SELECT c.id, c.created_at, c.lead_assignment_id, c.late_answers,
    (c.created_at + 28800000) / 86400000 AS day,
    c.flow,
    COALESCE(NULLIF(c.lead_path, ''), c.place_path) AS path,
    1 AS cases,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_returned_at IS NULL THEN 1 ELSE 0 END AS dispatched,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_returned_at IS NULL AND c.lead_contacted_at IS NOT NULL
        AND (c.lead_contact_due_at IS NULL OR c.lead_contacted_at <= c.lead_contact_due_at) THEN 1 ELSE 0 END AS responded,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_returned_at IS NULL AND c.lead_signed_at IS NOT NULL
        AND (c.lead_sign_due_at IS NULL OR c.lead_signed_at <= c.lead_sign_due_at) THEN 1 ELSE 0 END AS signed,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_returned_at IS NULL AND c.late_answers > 0 THEN 1 ELSE 0 END AS overdue,
    CASE WHEN c.lead_assignment_id IS NOT NULL AND c.lead_returned_at IS NULL AND c.extensions > 0 THEN 1 ELSE 0 END AS extended,
    CASE WHEN c.answered_at IS NOT NULL THEN 1 ELSE 0 END AS answered,
    CASE WHEN c.answered_at IS NOT NULL AND c.late_answers = 0 THEN 1 ELSE 0 END AS on_time,
    CASE WHEN c.revisited_at IS NOT NULL THEN 1 ELSE 0 END AS revisited,
    CASE WHEN c.revisited_at IS NOT NULL AND c.resolved = 1 THEN 1 ELSE 0 END AS resolved,
    CASE WHEN c.revisited_at IS NOT NULL AND c.first_resolved = 1 THEN 1 ELSE 0 END AS first_resolved,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'satisfied' THEN 1 ELSE 0 END AS satisfied,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'basic' THEN 1 ELSE 0 END AS basic,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'unsatisfied' THEN 1 ELSE 0 END AS unsatisfied,
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = '' THEN 1 ELSE 0 END AS unreached,
    CASE WHEN c.revisited_at IS NOT NULL AND c.reopens > 0 THEN 1 ELSE 0 END AS reopened,
    CASE WHEN c.on_spot = 1 THEN 1 ELSE 0 END AS on_spot
FROM cases c;

-- The sums per day, flow and unit, folded from case_figures_changes by the
-- server (stats.Fold); a reader adds the changes not yet folded.
CREATE TABLE case_figures_daily (
    day            BIGINT NOT NULL,
    flow           TEXT NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    cases          INTEGER NOT NULL,
    dispatched     INTEGER NOT NULL,
    responded      INTEGER NOT NULL,
    signed         INTEGER NOT NULL,
    overdue        INTEGER NOT NULL,
    extended       INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    revisited      INTEGER NOT NULL,
    resolved       INTEGER NOT NULL,
    first_resolved INTEGER NOT NULL,
    satisfied      INTEGER NOT NULL,
    basic          INTEGER NOT NULL,
    unsatisfied    INTEGER NOT NULL,
    unreached      INTEGER NOT NULL,
    reopened       INTEGER NOT NULL,
    on_spot        INTEGER NOT NULL,
    PRIMARY KEY (day, flow, path)
);

-- Every change to a case's counts, as a row to add (triggers write it).
CREATE TABLE case_figures_changes (
    id             BIGSERIAL PRIMARY KEY,
    day            BIGINT NOT NULL,
    flow           TEXT NOT NULL,
    path           TEXT COLLATE "C" NOT NULL,
    cases          INTEGER NOT NULL,
    dispatched     INTEGER NOT NULL,
    responded      INTEGER NOT NULL,
    signed         INTEGER NOT NULL,
    overdue        INTEGER NOT NULL,
    extended       INTEGER NOT NULL,
    answered       INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    revisited      INTEGER NOT NULL,
    resolved       INTEGER NOT NULL,
    first_resolved INTEGER NOT NULL,
    satisfied      INTEGER NOT NULL,
    basic          INTEGER NOT NULL,
    unsatisfied    INTEGER NOT NULL,
    unreached      INTEGER NOT NULL,
    reopened       INTEGER NOT NULL,
    on_spot        INTEGER NOT NULL
);

INSERT INTO case_figures_daily (day, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
SELECT day, flow, path, SUM(cases), SUM(dispatched), SUM(responded), SUM(signed), SUM(overdue), SUM(extended), SUM(answered), SUM(on_time), SUM(revisited), SUM(resolved), SUM(first_resolved), SUM(satisfied), SUM(basic), SUM(unsatisfied), SUM(unreached), SUM(reopened), SUM(on_spot)
FROM case_figures GROUP BY day, flow, path;

CREATE FUNCTION case_figures_take_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_figures_changes (day, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
    SELECT day, flow, path, -cases, -dispatched, -responded, -signed, -overdue, -extended, -answered, -on_time, -revisited, -resolved, -first_resolved, -satisfied, -basic, -unsatisfied, -unreached, -reopened, -on_spot
    FROM case_figures WHERE id = OLD.id;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE FUNCTION case_figures_add_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_figures_changes (day, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
    SELECT day, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot
    FROM case_figures WHERE id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_figures_insert AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION case_figures_add_new();

CREATE TRIGGER case_figures_update_old BEFORE UPDATE OF created_at, flow, lead_path, place_path, lead_assignment_id, lead_signed_at, lead_sign_due_at, lead_contacted_at, lead_contact_due_at, lead_returned_at, lead_handle_due_at, handle_due_at, answered_at, late_answers, extensions, revisited_at, resolved, first_resolved, satisfaction, reopens, on_spot ON cases
    FOR EACH ROW WHEN ((OLD.created_at, OLD.flow, OLD.lead_path, OLD.place_path, OLD.lead_assignment_id, OLD.lead_signed_at, OLD.lead_sign_due_at, OLD.lead_contacted_at, OLD.lead_contact_due_at, OLD.lead_returned_at, OLD.lead_handle_due_at, OLD.handle_due_at, OLD.answered_at, OLD.late_answers, OLD.extensions, OLD.revisited_at, OLD.resolved, OLD.first_resolved, OLD.satisfaction, OLD.reopens, OLD.on_spot)
        IS DISTINCT FROM (NEW.created_at, NEW.flow, NEW.lead_path, NEW.place_path, NEW.lead_assignment_id, NEW.lead_signed_at, NEW.lead_sign_due_at, NEW.lead_contacted_at, NEW.lead_contact_due_at, NEW.lead_returned_at, NEW.lead_handle_due_at, NEW.handle_due_at, NEW.answered_at, NEW.late_answers, NEW.extensions, NEW.revisited_at, NEW.resolved, NEW.first_resolved, NEW.satisfaction, NEW.reopens, NEW.on_spot))
    EXECUTE FUNCTION case_figures_take_old();

CREATE TRIGGER case_figures_update_new AFTER UPDATE OF created_at, flow, lead_path, place_path, lead_assignment_id, lead_signed_at, lead_sign_due_at, lead_contacted_at, lead_contact_due_at, lead_returned_at, lead_handle_due_at, handle_due_at, answered_at, late_answers, extensions, revisited_at, resolved, first_resolved, satisfaction, reopens, on_spot ON cases
    FOR EACH ROW WHEN ((OLD.created_at, OLD.flow, OLD.lead_path, OLD.place_path, OLD.lead_assignment_id, OLD.lead_signed_at, OLD.lead_sign_due_at, OLD.lead_contacted_at, OLD.lead_contact_due_at, OLD.lead_returned_at, OLD.lead_handle_due_at, OLD.handle_due_at, OLD.answered_at, OLD.late_answers, OLD.extensions, OLD.revisited_at, OLD.resolved, OLD.first_resolved, OLD.satisfaction, OLD.reopens, OLD.on_spot)
        IS DISTINCT FROM (NEW.created_at, NEW.flow, NEW.lead_path, NEW.place_path, NEW.lead_assignment_id, NEW.lead_signed_at, NEW.lead_sign_due_at, NEW.lead_contacted_at, NEW.lead_contact_due_at, NEW.lead_returned_at, NEW.lead_handle_due_at, NEW.handle_due_at, NEW.answered_at, NEW.late_answers, NEW.extensions, NEW.revisited_at, NEW.resolved, NEW.first_resolved, NEW.satisfaction, NEW.reopens, NEW.on_spot))
    EXECUTE FUNCTION case_figures_add_new();

CREATE TRIGGER case_figures_delete BEFORE DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION case_figures_take_old();

-- The rates of an unaligned period read every column they need from this
-- index alone; the open parts past their deadline are found by the second.
CREATE INDEX cases_rates ON cases(created_at, flow, lead_path, place_path, lead_assignment_id, lead_signed_at, lead_sign_due_at, lead_contacted_at, lead_contact_due_at, lead_returned_at, lead_handle_due_at, handle_due_at, answered_at, late_answers, extensions, revisited_at, resolved, first_resolved, satisfaction, reopens, on_spot);
CREATE INDEX assignments_open_lead ON assignments(handle_due_at) WHERE closed_at IS NULL AND role = 'lead';
