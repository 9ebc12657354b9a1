-- 0001_releases.sql: accepted releases and their noisy cells. Nothing here is about one student:
-- the only statistics are the noisy counts the nodes released, with their noise scale.

-- One row per accepted release. (node_id, sequence) is unique: the intake refuses replays.
CREATE TABLE release (
    release_id   TEXT PRIMARY KEY NOT NULL,
    node_id      TEXT NOT NULL,
    sequence     INTEGER NOT NULL,
    period       TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    budget_year  INTEGER NOT NULL,
    policy_hash  TEXT NOT NULL,
    rho          REAL NOT NULL,
    cells        INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    UNIQUE (node_id, sequence)
) STRICT;
CREATE INDEX release_by_period ON release (period, node_id);

-- The cell keys of a partition, stored once and shared by every release that lists the same keys
-- in the same order (they come from the public domains of the policy). JSON list of cell keys.
CREATE TABLE partition_keys (
    keys_id  INTEGER PRIMARY KEY,
    keys     TEXT NOT NULL UNIQUE
) STRICT;

-- One row per released partition (a table, or one rule/standard/subgroup family of it): its noisy
-- values in key order (JSON list, null where suppressed) and the noise scale σ (one for the
-- partition, or a JSON list when its cells differ).
CREATE TABLE release_partition (
    release_id  TEXT NOT NULL REFERENCES release (release_id) ON DELETE CASCADE,
    table_id    TEXT NOT NULL,
    position    INTEGER NOT NULL,
    per         TEXT,
    subgroup    TEXT,
    keys_id     INTEGER NOT NULL REFERENCES partition_keys (keys_id),
    sigma       REAL,
    sigmas      TEXT,
    vals        TEXT NOT NULL,
    CHECK ((sigma IS NULL) <> (sigmas IS NULL)),
    PRIMARY KEY (release_id, table_id, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX release_partition_by_table ON release_partition (table_id, release_id);
