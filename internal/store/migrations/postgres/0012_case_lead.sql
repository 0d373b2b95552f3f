-- The case's current lead assignment (the latest assignment with role lead),
-- copied onto the case row so that the rates (internal/stats) count a month
-- of cases with one range scan of cases instead of looking up each case's
-- lead assignment. The case engine (internal/casework refreshLead) keeps
-- these columns in step in the same transaction as every change to the
-- case's assignments; docs/RATES.md and docs/PERFORMANCE.md say why.
ALTER TABLE cases ADD COLUMN lead_assignment_id BIGINT;
ALTER TABLE cases ADD COLUMN lead_path TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN lead_signed_at BIGINT;
ALTER TABLE cases ADD COLUMN lead_sign_due_at BIGINT;
ALTER TABLE cases ADD COLUMN lead_overdue INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN lead_handle_due_at BIGINT;

-- Backfill from the assignments (the same statements as casework.RefreshLeads).
UPDATE cases SET lead_assignment_id = (SELECT MAX(l.id) FROM assignments l WHERE l.case_id = cases.id AND l.role = 'lead');
UPDATE cases SET
    lead_path = COALESCE((SELECT a.unit_path FROM assignments a WHERE a.id = cases.lead_assignment_id), ''),
    lead_signed_at = (SELECT a.signed_at FROM assignments a WHERE a.id = cases.lead_assignment_id),
    lead_sign_due_at = (SELECT a.sign_due_at FROM assignments a WHERE a.id = cases.lead_assignment_id),
    lead_overdue = COALESCE((SELECT a.overdue FROM assignments a WHERE a.id = cases.lead_assignment_id), 0),
    lead_handle_due_at = (SELECT a.handle_due_at FROM assignments a WHERE a.id = cases.lead_assignment_id)
WHERE lead_assignment_id IS NOT NULL;

-- The rates of a period read every column they need from this index alone
-- (a county month is 84,000 cases at a million: the table's rows are wide).
CREATE INDEX cases_rates ON cases(created_at, lead_path, place_path, lead_assignment_id, lead_signed_at,
    lead_sign_due_at, lead_overdue, lead_handle_due_at, handle_due_at, answered_at, extensions, revisited_at,
    resolved, satisfaction, reopens);
