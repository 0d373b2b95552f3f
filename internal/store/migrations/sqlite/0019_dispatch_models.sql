-- Smart dispatch (internal/dispatch): the text classifiers trained from the
-- county's own dispatches. Every trained model is kept with its quality, so
-- that the previous one can be restored; exactly one is active (in use).
CREATE TABLE dispatch_models (
    id           INTEGER PRIMARY KEY,
    format       INTEGER NOT NULL,            -- dispatch.FormatVersion of model
    trained_at   BIGINT NOT NULL,             -- Unix milliseconds
    trained_by   TEXT NOT NULL DEFAULT '',    -- who asked (username, or "schedule", "demo")
    examples     INTEGER NOT NULL,
    classes      INTEGER NOT NULL,
    size         INTEGER NOT NULL,            -- bytes of model
    metrics_json TEXT NOT NULL DEFAULT '',    -- cross-validated dispatch.Metrics ('' when too few examples)
    active       INTEGER NOT NULL DEFAULT 0,
    model        BLOB NOT NULL
);
CREATE UNIQUE INDEX dispatch_models_active ON dispatch_models (active) WHERE active = 1;
