-- Foundation: accounts, sessions, account links and the hash-chained access log.
-- Accounts hold no names: a person's name lives only in the roster identity table; an account
-- points at its rostered person by pseudonymous key.

CREATE TABLE account (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role                 TEXT NOT NULL CHECK (role IN ('teacher', 'mtss', 'student', 'guardian', 'admin', 'privacy_officer')),
    password_hash        TEXT NOT NULL,
    person_key           TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    password_changed_at  TEXT NOT NULL
);

CREATE TABLE session (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB NOT NULL UNIQUE,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    kind        TEXT NOT NULL CHECK (kind IN ('browser', 'api')),
    csrf_token  TEXT NOT NULL,
    label       TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX session_by_account ON session(account_id);

-- Explicit scoping links: a guardian or student account to a student (pseudonymous key), a teacher
-- account to a class (OneRoster sourcedId). Roster-derived links (teacher enrollments, guardian
-- agents) are read from the roster tables as well.
CREATE TABLE account_link (
    account_id  INTEGER NOT NULL REFERENCES account(id),
    kind        TEXT NOT NULL CHECK (kind IN ('student', 'class')),
    target      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, target)
);

-- Every student-level read, chained: hash = SHA-256(prev_hash | seq | at | account | role | action | subject | detail).
CREATE TABLE access_log (
    seq         INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    account_id  INTEGER,
    role        TEXT,
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE TRIGGER access_log_append_only_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
CREATE TRIGGER access_log_append_only_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END;
