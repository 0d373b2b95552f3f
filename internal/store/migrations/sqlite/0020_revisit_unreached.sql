-- The revisit's "not reached" answer (未联系上, issue 14, docs/RATES.md).
--
-- The hotline's revisit may answer satisfaction = 'unreached' when the
-- requester could not be reached. 满意率's denominator (satisfied + basic +
-- unsatisfied) excludes it, and the unreached count is now exactly those
-- revisits; a revisit that asks no satisfaction (a grid worker's check) is
-- no longer counted as unreached. The view keeps its columns; the daily sums
-- are rebuilt from it, with the changes not yet folded dropped (they are in
-- the rebuild).

DROP VIEW case_figures;
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
    CASE WHEN c.revisited_at IS NOT NULL AND c.satisfaction = 'unreached' THEN 1 ELSE 0 END AS unreached,
    CASE WHEN c.revisited_at IS NOT NULL AND c.reopens > 0 THEN 1 ELSE 0 END AS reopened,
    CASE WHEN c.on_spot = 1 THEN 1 ELSE 0 END AS on_spot
FROM cases c;

DELETE FROM case_figures_changes;
DELETE FROM case_figures_daily;
INSERT INTO case_figures_daily (day, flow, path, cases, dispatched, responded, signed, overdue, extended, answered, on_time, revisited, resolved, first_resolved, satisfied, basic, unsatisfied, unreached, reopened, on_spot)
SELECT day, flow, path, SUM(cases), SUM(dispatched), SUM(responded), SUM(signed), SUM(overdue), SUM(extended), SUM(answered), SUM(on_time), SUM(revisited), SUM(resolved), SUM(first_resolved), SUM(satisfied), SUM(basic), SUM(unsatisfied), SUM(unreached), SUM(reopened), SUM(on_spot)
FROM case_figures GROUP BY day, flow, path;
