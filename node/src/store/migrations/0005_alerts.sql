-- 0005_alerts.sql: early-warning flags and their history, teacher ratings, interventions with
-- progress checks, appeals, and accepted next steps (issue 7). Written only by
-- node/src/store/alerts.rs and its submodules. Pseudonymous: students appear by `student_key`
-- (person.pkey); people acting appear by account id. Nothing here is ever deleted by the
-- workflow: a flag ends in a terminal state and every transition is a row of `flag_event`.

-- One flag: a rule that fired for a student. `evidence` is the policy's Evidence as JSON (rule id
-- and version, policy hash, indicator values, standards). `tier` is the rule's tier; a person may
-- override it (`tier_override`). `expires_at` = last time the condition held + the rule's expiry.
CREATE TABLE flag (
    id                  INTEGER PRIMARY KEY,
    student_key         TEXT NOT NULL,
    rule_id             TEXT NOT NULL,
    rule_version        INTEGER NOT NULL,
    policy_hash         TEXT NOT NULL,
    tier                INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
    tier_override       INTEGER CHECK (tier_override BETWEEN 1 AND 3),
    color               TEXT NOT NULL CHECK (color IN ('green', 'amber', 'red')),
    label               TEXT NOT NULL,
    playbook            TEXT NOT NULL,
    reason              TEXT NOT NULL,
    evidence            TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'dismissed', 'overridden',
                                                       'intervention_started', 'resolved', 'expired')),
    raised_at           TEXT NOT NULL,
    last_confirmed_at   TEXT NOT NULL,
    expiry_days         INTEGER NOT NULL CHECK (expiry_days >= 1),
    expires_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;
-- At most one live flag per student and rule.
CREATE UNIQUE INDEX flag_live_by_student_rule ON flag (student_key, rule_id)
    WHERE state IN ('open', 'acknowledged', 'overridden', 'intervention_started');
CREATE INDEX flag_by_student ON flag (student_key, state);
CREATE INDEX flag_by_state ON flag (state, expires_at);

-- Every transition: who (NULL account = the system), when, why.
CREATE TABLE flag_event (
    id          INTEGER PRIMARY KEY,
    flag_id     INTEGER NOT NULL REFERENCES flag (id),
    at          TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    account_id  INTEGER,
    role        TEXT,
    reason      TEXT
) STRICT;
CREATE INDEX flag_event_by_flag ON flag_event (flag_id, id);
CREATE TRIGGER flag_event_append_only_update BEFORE UPDATE ON flag_event
BEGIN SELECT RAISE(ABORT, 'flag_event is append-only'); END;
CREATE TRIGGER flag_event_append_only_delete BEFORE DELETE ON flag_event
BEGIN SELECT RAISE(ABORT, 'flag_event is append-only'); END;

-- A teacher's or coordinator's rating of a flag, for rule tuning (one per person and flag).
CREATE TABLE flag_rating (
    flag_id     INTEGER NOT NULL REFERENCES flag (id),
    account_id  INTEGER NOT NULL,
    useful      INTEGER NOT NULL CHECK (useful IN (0, 1)),
    comment     TEXT,
    at          TEXT NOT NULL,
    PRIMARY KEY (flag_id, account_id)
) STRICT;

-- An intervention: type, tier, a goal on one indicator (optionally one standard) from a baseline
-- to a target by a date, strategies (JSON list of text), an owner, a check frequency, an outcome.
CREATE TABLE intervention (
    id                  INTEGER PRIMARY KEY,
    student_key         TEXT NOT NULL,
    flag_id             INTEGER REFERENCES flag (id),
    kind                TEXT NOT NULL,
    tier                INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 3),
    goal_indicator      TEXT NOT NULL,
    goal_standard       TEXT,
    baseline            REAL NOT NULL,
    target              REAL NOT NULL,
    start_date          TEXT NOT NULL,
    goal_date           TEXT NOT NULL,
    strategies          TEXT NOT NULL,
    owner_account_id    INTEGER NOT NULL,
    check_every_days    INTEGER NOT NULL CHECK (check_every_days BETWEEN 1 AND 90),
    state               TEXT NOT NULL CHECK (state IN ('active', 'closed')),
    outcome             TEXT CHECK (outcome IN ('met', 'partly', 'not_met')),
    outcome_note        TEXT,
    closed_at           TEXT,
    created_by          INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    CHECK ((state = 'closed') = (outcome IS NOT NULL))
) STRICT;
CREATE INDEX intervention_by_student ON intervention (student_key);
CREATE INDEX intervention_by_flag ON intervention (flag_id) WHERE flag_id IS NOT NULL;

CREATE TABLE progress_check (
    id               INTEGER PRIMARY KEY,
    intervention_id  INTEGER NOT NULL REFERENCES intervention (id),
    date             TEXT NOT NULL,
    value            REAL NOT NULL,
    note             TEXT,
    account_id       INTEGER NOT NULL,
    recorded_at      TEXT NOT NULL
) STRICT;
CREATE INDEX progress_check_by_intervention ON progress_check (intervention_id, date);

-- A student's or guardian's appeal of a flag or an intervention, and the MTSS answer.
CREATE TABLE appeal (
    id              INTEGER PRIMARY KEY,
    student_key     TEXT NOT NULL,
    target_kind     TEXT NOT NULL CHECK (target_kind IN ('flag', 'intervention')),
    target_id       INTEGER NOT NULL,
    text            TEXT NOT NULL,
    filed_by        INTEGER NOT NULL,
    filed_role      TEXT NOT NULL,
    filed_at        TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('open', 'answered')),
    decision        TEXT CHECK (decision IN ('upheld', 'changed')),
    answer          TEXT,
    answered_by     INTEGER,
    answered_at     TEXT,
    CHECK ((state = 'answered') = (answer IS NOT NULL))
) STRICT;
CREATE INDEX appeal_by_student ON appeal (student_key);
CREATE INDEX appeal_by_state ON appeal (state);

-- Next steps a teacher accepted (possibly changed) for a student. Accepting a new set supersedes
-- the old one (kept, with `superseded_at`); the rows in force are visible to the student and to
-- connected practice tools.
CREATE TABLE next_step (
    id              INTEGER PRIMARY KEY,
    student_key     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('practice', 'enrichment', 'tutoring')),
    standard        TEXT,
    misconception   TEXT,
    items           TEXT NOT NULL,
    note            TEXT,
    accepted_by     INTEGER NOT NULL,
    accepted_at     TEXT NOT NULL,
    changed         INTEGER NOT NULL CHECK (changed IN (0, 1)),
    superseded_at   TEXT
) STRICT;
CREATE INDEX next_step_by_student ON next_step (student_key, id);
