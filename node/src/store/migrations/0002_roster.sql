-- 0002_roster.sql: the roster (OneRoster), the item bank, attendance, later outcomes and the
-- import history (issue 4). Written only by node/src/store/roster.rs.
--
-- Identity rule: names, usernames, emails, phone numbers and the SIS sourcedIds of people live in
-- `person` (and `roster_record`, whose record ids a SIS may build from a user's id). Every other
-- table refers to a person by `pkey`, a random pseudonymous key that is stable across imports.
-- Orgs, sessions, courses, classes and items are not personal and are keyed by their own ids.
-- Referential integrity between roster entities is enforced by the import (checks before and
-- after writing, inside the caller's transaction); foreign keys are declared for `pkey` so that
-- purging a person cascades through everything keyed by them when foreign_keys is on.

CREATE TABLE org (
    sourced_id          TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    org_type            TEXT NOT NULL,
    identifier          TEXT,
    parent_sourced_id   TEXT,
    date_last_modified  TEXT
) STRICT;

CREATE TABLE academic_session (
    sourced_id          TEXT PRIMARY KEY NOT NULL,
    title               TEXT NOT NULL,
    session_type        TEXT NOT NULL,
    start_date          TEXT NOT NULL,
    end_date            TEXT NOT NULL,
    parent_sourced_id   TEXT,
    school_year         INTEGER NOT NULL,
    date_last_modified  TEXT
) STRICT;

-- List-valued columns (grades, subjects, ...) hold the OneRoster list joined with ','.
CREATE TABLE course (
    sourced_id              TEXT PRIMARY KEY NOT NULL,
    title                   TEXT NOT NULL,
    course_code             TEXT,
    school_year_sourced_id  TEXT,
    org_sourced_id          TEXT NOT NULL,
    grades                  TEXT NOT NULL,
    subjects                TEXT NOT NULL,
    subject_codes           TEXT NOT NULL,
    date_last_modified      TEXT
) STRICT;
CREATE INDEX course_by_org ON course (org_sourced_id);

CREATE TABLE class (
    sourced_id          TEXT PRIMARY KEY NOT NULL,
    title               TEXT NOT NULL,
    class_code          TEXT,
    class_type          TEXT NOT NULL,
    course_sourced_id   TEXT NOT NULL,
    school_sourced_id   TEXT NOT NULL,
    location            TEXT,
    grades              TEXT NOT NULL,
    subjects            TEXT NOT NULL,
    subject_codes       TEXT NOT NULL,
    periods             TEXT NOT NULL,
    date_last_modified  TEXT
) STRICT;
CREATE INDEX class_by_course ON class (course_sourced_id);
CREATE INDEX class_by_school ON class (school_sourced_id);

CREATE TABLE class_term (
    class_sourced_id    TEXT NOT NULL,
    term_sourced_id     TEXT NOT NULL,
    position            INTEGER NOT NULL,
    PRIMARY KEY (class_sourced_id, term_sourced_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX class_term_by_term ON class_term (term_sourced_id);

-- The one identity table. `off_roster_since` is set when the SIS removes the person, so the
-- retention policy can find them; their pkey stays stable should they come back.
CREATE TABLE person (
    pkey                    TEXT PRIMARY KEY NOT NULL,
    sourced_id              TEXT NOT NULL UNIQUE,
    username                TEXT NOT NULL,
    given_name              TEXT NOT NULL,
    family_name             TEXT NOT NULL,
    middle_name             TEXT,
    preferred_given_name    TEXT,
    preferred_middle_name   TEXT,
    preferred_family_name   TEXT,
    identifier              TEXT,
    email                   TEXT,
    phone                   TEXT,
    off_roster_since        TEXT
) STRICT;

-- Role and enrollment records have their own OneRoster sourcedIds (needed to apply delta files);
-- exports often build them from the user's id, so the mapping to a random record key sits here,
-- beside `person`, and the analytics-side tables only see `rkey`.
CREATE TABLE roster_record (
    kind        TEXT NOT NULL CHECK (kind IN ('role', 'enrollment')),
    sourced_id  TEXT NOT NULL,
    rkey        TEXT NOT NULL UNIQUE,
    pkey        TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    PRIMARY KEY (kind, sourced_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX roster_record_by_pkey ON roster_record (pkey);

-- A person currently on the roster (users.csv), without identity.
CREATE TABLE user_account (
    pkey                    TEXT PRIMARY KEY NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    enabled                 INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    grades                  TEXT NOT NULL,
    primary_org_sourced_id  TEXT,
    date_last_modified      TEXT
) STRICT;

-- users.csv agentSourcedIds: a student's guardians, or a guardian's students.
CREATE TABLE user_agent (
    pkey        TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    agent_pkey  TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (pkey, agent_pkey)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_agent_by_agent ON user_agent (agent_pkey);

CREATE TABLE person_role (
    rkey                TEXT PRIMARY KEY NOT NULL REFERENCES roster_record (rkey) ON DELETE CASCADE,
    pkey                TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    role                TEXT NOT NULL,
    role_type           TEXT NOT NULL CHECK (role_type IN ('primary', 'secondary')),
    org_sourced_id      TEXT NOT NULL,
    begin_date          TEXT,
    end_date            TEXT,
    date_last_modified  TEXT
) STRICT;
CREATE INDEX person_role_by_pkey ON person_role (pkey, role);
CREATE INDEX person_role_by_org ON person_role (org_sourced_id);

CREATE TABLE enrollment (
    rkey                TEXT PRIMARY KEY NOT NULL REFERENCES roster_record (rkey) ON DELETE CASCADE,
    class_sourced_id    TEXT NOT NULL,
    school_sourced_id   TEXT NOT NULL,
    pkey                TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    role                TEXT NOT NULL
                        CHECK (role IN ('administrator', 'proctor', 'student', 'teacher')),
    is_primary          INTEGER CHECK (is_primary IN (0, 1)),
    begin_date          TEXT,
    end_date            TEXT,
    date_last_modified  TEXT
) STRICT;
CREATE INDEX enrollment_by_class ON enrollment (class_sourced_id, role);
CREATE INDEX enrollment_by_pkey ON enrollment (pkey, role);
CREATE INDEX enrollment_by_school ON enrollment (school_sourced_id);

-- demographics.csv, reduced to what the policy names as audit subgroups (see subgroup).
CREATE TABLE student_demographics (
    pkey                TEXT PRIMARY KEY NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    birth_year          INTEGER,
    date_last_modified  TEXT
) STRICT;

-- Subgroup membership with values from a small public vocabulary (docs/DATA.md, "Import").
CREATE TABLE subgroup (
    pkey        TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    attribute   TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (pkey, attribute)
) STRICT, WITHOUT ROWID;
CREATE INDEX subgroup_by_value ON subgroup (attribute, value);

-- Scoping for the auth code: a teacher's classes, a student's classes, a guardian's children.
CREATE VIEW teacher_class AS
    SELECT DISTINCT pkey, class_sourced_id FROM enrollment WHERE role = 'teacher';
CREATE VIEW student_class AS
    SELECT DISTINCT pkey, class_sourced_id FROM enrollment WHERE role = 'student';
CREATE VIEW guardian_link AS
    SELECT a.agent_pkey AS guardian_pkey, a.pkey AS student_pkey
      FROM user_agent a
     WHERE EXISTS (SELECT 1 FROM person_role r WHERE r.pkey = a.pkey AND r.role = 'student')
       AND EXISTS (SELECT 1 FROM person_role r
                    WHERE r.pkey = a.agent_pkey AND r.role IN ('guardian', 'parent'))
    UNION
    SELECT a.pkey AS guardian_pkey, a.agent_pkey AS student_pkey
      FROM user_agent a
     WHERE EXISTS (SELECT 1 FROM person_role r
                    WHERE r.pkey = a.pkey AND r.role IN ('guardian', 'parent'))
       AND EXISTS (SELECT 1 FROM person_role r WHERE r.pkey = a.agent_pkey AND r.role = 'student');

-- The item bank: one row per question, its standards, and its choices (the key and the
-- distractors with the misconception each signals).
CREATE TABLE item (
    item_id     TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    max_score   REAL NOT NULL
) STRICT;
CREATE INDEX item_by_activity ON item (activity_id);

CREATE TABLE item_standard (
    item_id     TEXT NOT NULL REFERENCES item (item_id) ON DELETE CASCADE,
    standard    TEXT NOT NULL,
    position    INTEGER NOT NULL,
    PRIMARY KEY (item_id, standard)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_standard_by_standard ON item_standard (standard);

CREATE TABLE item_choice (
    item_id         TEXT NOT NULL REFERENCES item (item_id) ON DELETE CASCADE,
    choice          TEXT NOT NULL,
    misconception   TEXT,
    is_correct      INTEGER NOT NULL CHECK (is_correct IN (0, 1)),
    position        INTEGER NOT NULL,
    PRIMARY KEY (item_id, choice)
) STRICT, WITHOUT ROWID;

-- One row per student, school day and (optionally) class; a NULL class means the whole day.
CREATE TABLE attendance (
    pkey                TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    date                TEXT NOT NULL,
    class_sourced_id    TEXT,
    status              TEXT NOT NULL CHECK (status IN ('present', 'absent', 'tardy', 'excused')),
    minutes             INTEGER CHECK (minutes >= 0)
) STRICT;
CREATE UNIQUE INDEX attendance_by_student_day
    ON attendance (pkey, date, COALESCE(class_sourced_id, ''));
CREATE INDEX attendance_by_date ON attendance (date);

CREATE TABLE outcome (
    pkey                TEXT NOT NULL REFERENCES person (pkey) ON DELETE CASCADE,
    assessment          TEXT NOT NULL,
    date                TEXT NOT NULL,
    score               REAL NOT NULL,
    proficiency_level   INTEGER NOT NULL CHECK (proficiency_level BETWEEN 1 AND 4),
    PRIMARY KEY (pkey, assessment, date)
) STRICT, WITHOUT ROWID;

-- One row per successful import; `report` is the ImportReport as JSON (counts only, no PII).
CREATE TABLE import_run (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    source      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    report      TEXT NOT NULL
) STRICT;
