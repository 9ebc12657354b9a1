-- 0004_indicators.sql: derived indicator state (issue 6), written only by node/src/store/indicators.rs.
-- Everything here can be recomputed from `learning_event`, `item_standard` and `attendance` by
-- `lantern node rebuild`; incremental updates in the ingest transaction give the same rows.
-- Pseudonymous: students appear only by `pkey` (here `student_key`).

-- BKT state per student × standard, after the student's last answer on the standard in event order
-- (event time, ties by seq). `last_at`/`last_seq` detect an answer arriving out of order.
CREATE TABLE mastery (
    student_key TEXT NOT NULL,
    standard    TEXT NOT NULL,
    p_known     REAL NOT NULL,
    evidence    INTEGER NOT NULL,
    correct     INTEGER NOT NULL,
    last_at     TEXT NOT NULL,
    last_seq    INTEGER NOT NULL,
    PRIMARY KEY (student_key, standard)
) STRICT, WITHOUT ROWID;
CREATE INDEX mastery_by_standard ON mastery (standard);

-- Mastery at the end of each week (Monday date) with answers on the standard: for mastery_trend.
CREATE TABLE mastery_week (
    student_key TEXT NOT NULL,
    standard    TEXT NOT NULL,
    week        TEXT NOT NULL,
    p_known     REAL NOT NULL,
    evidence    INTEGER NOT NULL,
    PRIMARY KEY (student_key, standard, week)
) STRICT, WITHOUT ROWID;

-- Scored answers per student (every answer), for discrimination (the student's overall share correct).
CREATE TABLE student_answers (
    student_key TEXT PRIMARY KEY NOT NULL,
    answered    INTEGER NOT NULL,
    correct     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Each student's first scored answer to each item (event order): what item analysis counts.
CREATE TABLE item_response (
    item_id     TEXT NOT NULL,
    student_key TEXT NOT NULL,
    at          TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    correct     INTEGER NOT NULL CHECK (correct IN (0, 1)),
    response    TEXT,
    PRIMARY KEY (item_id, student_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_response_by_student ON item_response (student_key);

-- Totals over item_response, kept in step with it.
CREATE TABLE item_stat (
    item_id     TEXT PRIMARY KEY NOT NULL,
    responders  INTEGER NOT NULL,
    correct     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE item_choice_count (
    item_id     TEXT NOT NULL,
    response    TEXT NOT NULL,
    count       INTEGER NOT NULL,
    PRIMARY KEY (item_id, response)
) STRICT, WITHOUT ROWID;

-- Live class sessions (xAPI registrations) and the items seen in each: what was "presented".
CREATE TABLE live_session (
    session_id  TEXT PRIMARY KEY NOT NULL,
    class_id    TEXT,
    started_at  TEXT NOT NULL,
    last_at     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX live_session_by_class ON live_session (class_id, started_at);

CREATE TABLE session_item (
    session_id  TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    first_at    TEXT NOT NULL,
    PRIMARY KEY (session_id, item_id)
) STRICT, WITHOUT ROWID;

-- Whole-year attendance per student, recomputed after each attendance import.
CREATE TABLE attendance_summary (
    student_key          TEXT PRIMARY KEY NOT NULL,
    days_enrolled        INTEGER NOT NULL,
    days_attended        INTEGER NOT NULL,
    days_absent          INTEGER NOT NULL,
    days_excused         INTEGER NOT NULL,
    days_tardy           INTEGER NOT NULL,
    consecutive_absences INTEGER NOT NULL,
    last_day             TEXT
) STRICT, WITHOUT ROWID;
