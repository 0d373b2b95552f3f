-- Civic behaviour records and civility points (公民文明行为记录与文明积分):
-- internal/civility, docs/CIVILITY.md.
--
-- Catalogue management (国办发〔2020〕49号): an entry names an item of the
-- catalogue, and a negative item names its legal basis. Evaluation: a
-- negative entry is reviewed by two different people, noticed to the
-- person, and takes effect only after the appeal window. Points live in a
-- double-entry ledger; the store's counter redeems them.

-- The catalogue (行为目录), versioned: a change writes a new version, the
-- old one stays for the entries that name it.
CREATE TABLE civility_items (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    current        INTEGER NOT NULL DEFAULT 1,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    points         INTEGER NOT NULL CHECK (points >= 0),
    validity_days  INTEGER NOT NULL CHECK (validity_days > 0),
    evidence       TEXT NOT NULL DEFAULT '',
    basis_kind     TEXT NOT NULL DEFAULT '' CHECK (basis_kind IN ('', 'regulation', 'measures', 'village_rule', 'law')),
    basis          TEXT NOT NULL DEFAULT '',
    assembly_date  TEXT NOT NULL DEFAULT '', -- a village rule's assembly (村民会议) date, YYYY-MM-DD
    legal_violation INTEGER NOT NULL DEFAULT 0, -- a record of a legal violation: kept, never scored
    demo           INTEGER NOT NULL DEFAULT 0,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (code, version),
    CHECK (kind = 'positive' OR basis <> ''),
    CHECK (basis_kind <> 'village_rule' OR assembly_date <> '')
);

-- One entry about one person. status: recorded (awaiting review), reviewed
-- (one approval), noticed (two approvals, notice issued, appeal window
-- open), appealed, effective, rejected, withdrawn, expired, repaired.
CREATE TABLE civility_entries (
    id               INTEGER PRIMARY KEY,
    item_id          INTEGER NOT NULL REFERENCES civility_items(id),
    person_id        INTEGER NOT NULL REFERENCES people(id),
    unit_id          INTEGER NOT NULL REFERENCES units(id), -- the person's community
    unit_path        TEXT NOT NULL,
    place            TEXT NOT NULL DEFAULT '',
    occurred_at      BIGINT NOT NULL,
    evidence         TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL CHECK (source IN ('volunteer_hours', 'good_deed', 'case', 'patrol', 'nomination')),
    source_ref       TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL,
    points           INTEGER NOT NULL DEFAULT 0,
    notice_no        TEXT NOT NULL DEFAULT '',
    noticed_at       BIGINT,
    window_ends_at   BIGINT,
    effective_at     BIGINT,
    expires_at       BIGINT,
    closed_at        BIGINT,
    close_reason     TEXT NOT NULL DEFAULT '',
    appeal_case_id   INTEGER REFERENCES cases(id),
    recorder         TEXT NOT NULL,
    recorder_user_id BIGINT,
    demo             INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL
);
CREATE INDEX civility_entries_person ON civility_entries(person_id, occurred_at);
CREATE INDEX civility_entries_path ON civility_entries(unit_path, occurred_at);
CREATE INDEX civility_entries_status ON civility_entries(status, window_ends_at);
CREATE UNIQUE INDEX civility_entries_source ON civility_entries(source, source_ref) WHERE source_ref <> '';

-- The reviews (审核) of an entry: two different people approve a negative
-- entry before its notice.
CREATE TABLE civility_reviews (
    id         INTEGER PRIMARY KEY,
    entry_id   INTEGER NOT NULL REFERENCES civility_entries(id),
    user_id    BIGINT NOT NULL,
    reviewer   TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    note       TEXT NOT NULL DEFAULT '',
    at         BIGINT NOT NULL,
    UNIQUE (entry_id, user_id)
);

-- An entry's history: recording, reviews, notice, appeal, effect, expiry,
-- repair.
CREATE TABLE civility_entry_history (
    id        INTEGER PRIMARY KEY,
    entry_id  INTEGER NOT NULL REFERENCES civility_entries(id),
    kind      TEXT NOT NULL,
    actor     TEXT NOT NULL,
    user_id   BIGINT,
    note      TEXT NOT NULL DEFAULT '',
    at        BIGINT NOT NULL
);
CREATE INDEX civility_entry_history_entry ON civility_entry_history(entry_id, id);

-- A person's points card (积分卡), issued at the community with a PIN, and
-- their consent to scoring (no score and no incentive without it).
CREATE TABLE civility_cards (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL UNIQUE REFERENCES people(id),
    card_no      TEXT NOT NULL UNIQUE,
    pin_hash     TEXT NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    unit_path    TEXT NOT NULL,
    consent      INTEGER NOT NULL DEFAULT 0,
    consent_at   BIGINT,
    failed_pins  INTEGER NOT NULL DEFAULT 0,
    issued_by    TEXT NOT NULL,
    issued_at    BIGINT NOT NULL
);

-- The ledger's accounts: a person's points ('person'), the issuing pool
-- points are earned from ('issue'), a store's takings ('store'). Bounds are
-- checked on every movement; balance is always the sum of movements.
CREATE TABLE civility_accounts (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('person', 'issue', 'store')),
    person_id   INTEGER UNIQUE REFERENCES people(id),
    store_id    INTEGER UNIQUE,
    balance     BIGINT NOT NULL DEFAULT 0,
    min_balance BIGINT,
    max_balance BIGINT,
    created_at  BIGINT NOT NULL,
    CHECK (min_balance IS NULL OR balance >= min_balance),
    CHECK (max_balance IS NULL OR balance <= max_balance)
);

-- A transfer: what moved and why, by whom. Its movements sum to zero.
CREATE TABLE civility_transfers (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'reverse')),
    entry_id    INTEGER REFERENCES civility_entries(id),
    operator    TEXT NOT NULL,
    operator_user_id BIGINT,
    reason      TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE TABLE civility_movements (
    id          INTEGER PRIMARY KEY,
    transfer_id INTEGER NOT NULL REFERENCES civility_transfers(id),
    account_id  INTEGER NOT NULL REFERENCES civility_accounts(id),
    amount      BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX civility_movements_account ON civility_movements(account_id, at);
CREATE INDEX civility_movements_transfer ON civility_movements(transfer_id);

-- Points stores (积分超市) at service centres and village points, their
-- goods and stock, stock movements and redemptions.
CREATE TABLE civility_stores (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    unit_path   TEXT NOT NULL,
    demo        INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE TABLE civility_goods (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES civility_stores(id),
    name        TEXT NOT NULL,
    points      INTEGER NOT NULL CHECK (points > 0),
    stock       INTEGER NOT NULL CHECK (stock >= 0),
    created_at  BIGINT NOT NULL
);
CREATE TABLE civility_redemptions (
    id          INTEGER PRIMARY KEY,
    store_id    INTEGER NOT NULL REFERENCES civility_stores(id),
    goods_id    INTEGER NOT NULL REFERENCES civility_goods(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    points      INTEGER NOT NULL,
    transfer_id INTEGER NOT NULL REFERENCES civility_transfers(id),
    clerk       TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX civility_redemptions_store ON civility_redemptions(store_id, at);
CREATE TABLE civility_stock_moves (
    id            INTEGER PRIMARY KEY,
    goods_id      INTEGER NOT NULL REFERENCES civility_goods(id),
    delta         INTEGER NOT NULL,
    reason        TEXT NOT NULL,
    redemption_id INTEGER REFERENCES civility_redemptions(id),
    operator      TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX civility_stock_moves_goods ON civility_stock_moves(goods_id, at);

-- Incentives (嘉许激励): what a balance or a volunteer star earns.
CREATE TABLE civility_incentives (
    id          INTEGER PRIMARY KEY,
    basis       TEXT NOT NULL CHECK (basis IN ('balance', 'star')),
    threshold   INTEGER NOT NULL CHECK (threshold >= 0),
    benefit     TEXT NOT NULL,
    provider    TEXT NOT NULL DEFAULT '',
    demo        INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
