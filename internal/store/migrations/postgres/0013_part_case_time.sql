-- The time its case was received, copied onto each part (assignment), so
-- that the work lists, which show open parts newest case first, walk an
-- index in that order and stop after a page. The county sees every open
-- part (tens of thousands at a million cases): joining each to its case to
-- sort by the case's time took 150-190 ms on SQLite (docs/PERFORMANCE.md).
-- A case's receipt time never changes; the case engine writes this column
-- when it creates the part.
ALTER TABLE assignments ADD COLUMN case_created_at BIGINT NOT NULL DEFAULT 0;
UPDATE assignments SET case_created_at = (SELECT c.created_at FROM cases c WHERE c.id = assignments.case_id);
CREATE INDEX assignments_open_newest ON assignments(case_created_at, case_id, id) WHERE closed_at IS NULL;
