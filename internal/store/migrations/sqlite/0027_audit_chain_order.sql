-- The audit chain's order is its own column (issue 23). SQLite has one
-- writer, so entries are chained as they are written (chain_pos set at
-- insert); the column and the unchained index exist so the chain reads the
-- same on both engines (internal/audit).
ALTER TABLE audit_log ADD COLUMN chain_pos INTEGER;
UPDATE audit_log SET chain_pos = r.n
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) AS r
  WHERE audit_log.id = r.id;
CREATE UNIQUE INDEX audit_chain_pos ON audit_log(chain_pos);
CREATE INDEX audit_unchained ON audit_log(id) WHERE chain_pos IS NULL;
