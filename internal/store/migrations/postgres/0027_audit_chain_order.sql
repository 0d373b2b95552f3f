-- The audit chain's order is its own column (issue 23): on PostgreSQL an
-- entry is inserted unchained (chain_pos NULL, prev_hash '', hash the keyed
-- MAC of its content) without a table lock, and one chainer at a time links
-- committed entries in order shortly after (internal/audit Chain). The
-- chain is walked by chain_pos, not id: ids are taken at insert, so they do
-- not follow the order of commits. Existing entries keep their order.
ALTER TABLE audit_log ADD COLUMN chain_pos BIGINT;
UPDATE audit_log a SET chain_pos = r.n
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM audit_log) r
  WHERE a.id = r.id;
CREATE UNIQUE INDEX audit_chain_pos ON audit_log(chain_pos);
CREATE INDEX audit_unchained ON audit_log(id) WHERE chain_pos IS NULL;
