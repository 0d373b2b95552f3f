-- Integration: Open311 API keys and request tokens, outbound webhooks with a
-- transactional outbox (deliveries are written in the same transaction as
-- the case change that causes them), and the provincial 12345 exchange, whose
-- status updates travel through the same outbox.

-- Keys that Open311 clients send as api_key; only the SHA-256 is kept.
CREATE TABLE open311_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    key_prefix   TEXT NOT NULL,            -- first characters, to recognise a key in lists
    user_id      INTEGER REFERENCES users(id), -- the account requests are filed as (NULL: the system)
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

-- The token a POST answers with; tokens/{token} follows it to the request id.
CREATE TABLE open311_tokens (
    token      TEXT PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES cases(id),
    key_id     INTEGER REFERENCES open311_keys(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX open311_tokens_case ON open311_tokens(case_id);

-- Endpoints administrators register; events is a comma list
-- (case.created,case.status_changed,case.answered,case.closed).
CREATE TABLE webhook_endpoints (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,             -- HMAC-SHA256 key shared with the receiver
    events      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_by  BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- The outbox. A delivery goes to an endpoint (endpoint_id) or to a named
-- target resolved at send time (target = 'province'). A worker claims due
-- deliveries with a lease (lease_until); a claim whose instance died expires
-- and is claimed again.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    uid              TEXT NOT NULL UNIQUE,  -- X-Grassroots-Delivery, for receivers to dedupe
    endpoint_id      INTEGER REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    target           TEXT NOT NULL DEFAULT '',
    event            TEXT NOT NULL,
    case_id          INTEGER REFERENCES cases(id),
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_token      TEXT NOT NULL DEFAULT '',
    lease_until      BIGINT,
    last_attempt_at  BIGINT,
    last_status_code INTEGER,
    last_response    TEXT NOT NULL DEFAULT '',
    last_error       TEXT NOT NULL DEFAULT '',
    delivered_at     BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id);
CREATE INDEX webhook_deliveries_target ON webhook_deliveries(target, id);

-- Every attempt, with what the receiver answered.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    at          BIGINT NOT NULL,
    instance    TEXT NOT NULL DEFAULT '',
    status_code INTEGER,
    response    TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    duration_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
