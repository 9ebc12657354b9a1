-- xAPI: data sources (Basic credentials per quiz/LMS tool), the raw statements (personal data:
-- retention class raw_events), and the pseudonymous learning events derived from them.

CREATE TABLE data_source (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    key            TEXT NOT NULL UNIQUE,      -- the Basic-auth username
    secret_sha256  BLOB NOT NULL,             -- SHA-256 of the 256-bit random secret
    classes        TEXT,                      -- JSON array of class sourcedIds it may report on; NULL = all
    created_at     TEXT NOT NULL,
    revoked_at     TEXT
);

-- Every accepted statement, in the order it was stored (seq drives paging and consistency).
-- `stored` strictly increases with `seq` (the ingest path assigns it inside the writer), written
-- as RFC 3339 UTC with exactly six fraction digits so that text order is time order.
CREATE TABLE statement (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    stored        TEXT NOT NULL,
    timestamp     TEXT NOT NULL,
    source_id     INTEGER NOT NULL REFERENCES data_source(id),
    actor         TEXT NOT NULL,              -- canonical inverse functional identifier of the actor
    verb          TEXT NOT NULL,
    object        TEXT,                       -- activity id, agent IFI or statement id
    registration  TEXT,
    voids         TEXT,                       -- id of the statement this one voids
    voided        INTEGER NOT NULL DEFAULT 0,
    json          TEXT NOT NULL
);
-- Index rows cost ingest speed (each commit rewrites every index page it touches), so the only
-- index rows per statement are its id's: `since`/`until` become `seq` bounds (`stored` grows with
-- `seq`), and the agent, verb, activity and registration filters scan within those bounds, newest
-- (or oldest) first, until the page is full. The node's own views read `learning_event`.
-- Voiding statements by their target, to mark a statement voided when it arrives after its voider.
CREATE INDEX statement_by_voids ON statement(voids) WHERE voids IS NOT NULL;

-- One row per statement that maps to a rostered student: what the indicators read. Pseudonymous.
CREATE TABLE learning_event (
    seq          INTEGER PRIMARY KEY REFERENCES statement(seq),
    student_key  TEXT NOT NULL,
    at           TEXT NOT NULL,
    verb         TEXT NOT NULL,               -- answered, attempted, completed, passed, failed, experienced, other
    item_id      TEXT,                        -- the activity, when it is an item of the bank
    class_id     TEXT,
    session_id   TEXT,                        -- xAPI registration: one live class session
    quiz_id      TEXT,
    correct      INTEGER,                     -- 1/0 when scored
    response     TEXT,                        -- chosen answer
    score        REAL,                        -- scaled score when given
    duration_s   REAL
);
CREATE INDEX learning_event_by_student ON learning_event(student_key, at);
-- Per-item figures are kept by the event sink as events arrive; a rebuild scans in seq order.
CREATE INDEX learning_event_by_session ON learning_event(session_id) WHERE session_id IS NOT NULL;

-- Statements that could not be matched to a student or an item, counted for admins (never dropped).
CREATE TABLE unmatched (
    kind        TEXT NOT NULL CHECK (kind IN ('actor', 'activity', 'class')),
    value       TEXT NOT NULL,
    count       INTEGER NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
