-- releases (issue 8): the privacy-budget ledger and the outbox of sealed releases. Written only by
-- node/src/store/releases.rs. Neither table holds anything about a single student: the ledger
-- records ρ spent; the outbox holds sealed (signed, age-encrypted) noisy aggregates.

-- One row per release ever computed. Never deleted: the budget of a period and of a year is the
-- sum of these rows, and a release is only computed after `budget::authorize` approved its ρ
-- against them, in the same transaction that inserts it.
CREATE TABLE privacy_ledger (
    release_id   TEXT PRIMARY KEY NOT NULL,
    period       TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    budget_year  INTEGER NOT NULL,
    rho          REAL NOT NULL CHECK (rho >= 0),
    policy_hash  TEXT NOT NULL,
    table_rhos   TEXT NOT NULL,   -- JSON [[table id, ρ], ...] from OpenDP, for reports
    cells        INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX privacy_ledger_by_year ON privacy_ledger (budget_year, period);

-- The sealed bytes of each release, kept until (and after) the aggregator acknowledges them. A
-- retry re-sends exactly these bytes; the aggregator is idempotent on release_id.
CREATE TABLE outbox (
    release_id       TEXT PRIMARY KEY NOT NULL REFERENCES privacy_ledger (release_id),
    sequence         INTEGER NOT NULL UNIQUE,
    period           TEXT NOT NULL,
    sealed           BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_attempt_at  TEXT,
    last_error       TEXT,
    acknowledged_at  TEXT
) STRICT;
CREATE INDEX outbox_pending ON outbox (sequence) WHERE acknowledged_at IS NULL;
