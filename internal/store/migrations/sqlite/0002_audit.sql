-- The append-only audit trail. Each entry carries the hash of the one before
-- it (prev_hash) and its own hash over its content, so an edit behind the
-- server's back breaks the chain and `grassroots audit verify` finds it.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         BIGINT NOT NULL,
    user_id    BIGINT,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,   -- e.g. unit.create, user.role.add, case.sign
    entity     TEXT NOT NULL,   -- e.g. unit, user, case
    entity_id  TEXT NOT NULL,
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    reason     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);
CREATE INDEX audit_at ON audit_log(at);
