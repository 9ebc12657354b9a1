-- What the `related_activities` / `related_agents` filters and the StatementRef rule of GET
-- /xapi/statements match beyond a statement's own columns (actor, object, and source_id for its
-- authority), so that queries never parse stored JSON.
--
-- Cost on the ingest path decides the shape. One row per related identifier and statement (a
-- class and a quiz for a typical answer) measured ~4 µs per statement on the writer; instead the
-- identifiers of a statement are interned as a *set* (statements of one class and quiz share
-- it), and each statement with a non-empty set appends one row to a table keyed by seq (the
-- cheapest insert SQLite has: the right edge of a rowid B-tree). A set's id is the first 8 bytes
-- of the SHA-256 of its canonical text, computed on the request path; the writer registers a set
-- the first time a request uses it (`INSERT ... ON CONFLICT DO NOTHING`).
CREATE TABLE related_set (
    id   INTEGER PRIMARY KEY,
    ids  TEXT NOT NULL            -- canonical JSON: the sorted [kind, identifier] pairs
);
-- Which sets hold an identifier. kind: 'activity' (context activities, SubStatement activities),
-- 'member' (members of the actor or object Group: the plain agent filter matches them too),
-- 'agent' (instructor, team, SubStatement agents, with Group members).
CREATE TABLE related_set_id (
    kind    TEXT NOT NULL CHECK (kind IN ('activity', 'member', 'agent')),
    value   TEXT NOT NULL,        -- activity id, or canonical IFI key (as statement.actor holds it)
    set_id  INTEGER NOT NULL REFERENCES related_set(id),
    PRIMARY KEY (kind, value, set_id)
) WITHOUT ROWID;
-- The set of each statement that has one (no row: nothing beyond its own columns). No foreign
-- key to statement: the check would cost every insert a lookup of the row just written; whatever
-- deletes statements (retention purge) deletes these rows by seq too.
CREATE TABLE statement_related (
    seq     INTEGER PRIMARY KEY,  -- statement.seq
    set_id  INTEGER NOT NULL REFERENCES related_set(id)
);
-- Statements whose object is a StatementRef (voiding statements included): a filter also
-- matches a statement whose target (recursively) matches it (Part 3 §2.1.3, "Filter Conditions
-- for StatementRefs"). The target need not be stored (yet).
CREATE TABLE statement_target (
    seq     INTEGER PRIMARY KEY,  -- statement.seq (no foreign key, as above)
    target  TEXT NOT NULL         -- the id of the statement referred to
);
-- Statements stored before this migration get their rows at the next start of the node
-- (`ingest::backfill_related`, which parses each one with the same code as ingest), in
-- chunks; the row is removed when done.
CREATE TABLE related_backfill (
    done_seq  INTEGER NOT NULL,   -- every statement up to here has its rows
    last_seq  INTEGER NOT NULL    -- the newest statement stored before this migration
);
INSERT INTO related_backfill (done_seq, last_seq) SELECT 0, max(seq) FROM statement HAVING count(*) > 0;
