-- Indexes for a county year (1,000,000 cases), found with cmd/benchcounty;
-- docs/PERFORMANCE.md has the measurements before and after.

-- Open parts only (a few percent of all assignments): the home page's counts
-- (to sign, in hand, near deadline, overdue) and the work lists read this
-- small index instead of every assignment of the county or township.
CREATE INDEX assignments_open ON assignments(unit_path, status, overdue, signed_at, handle_due_at) WHERE closed_at IS NULL;

-- Cases answered and waiting for their revisit: the "to revisit" count and
-- list, newest first.
CREATE INDEX cases_to_revisit ON cases(created_at, id) WHERE closed_at IS NULL AND answered_at IS NOT NULL;

-- A case's current lead assignment, MAX(id) WHERE case_id = ? AND role =
-- 'lead' (the rates, the case lists), and "is this case assigned to a unit
-- in the subtree" (the scope of the case lists), from the index alone. It
-- also serves every look-up by case_id, so the narrower assignments_case
-- goes.
CREATE INDEX assignments_case_role ON assignments(case_id, role, id, unit_path);
DROP INDEX assignments_case;

-- The cases assigned to units in a subtree, from the index alone: PostgreSQL
-- hashes this set for the scope of a case list (82,000 rows for a township
-- at a million cases: 13 ms from this index, 180 ms from the table).
CREATE INDEX assignments_unit_case ON assignments(unit_path, case_id);
