-- 0007_summary_mail.sql: the weekly summaries sent by e-mail (issue 7). Written only by
-- node/src/store/alerts/summary_mail.rs. One row per week × recipient account × kind × child, so
-- a restart never sends a week twice and failures stay visible. No address and no content here:
-- addresses live in `person`, the content is rebuilt from the data when sent.

CREATE TABLE summary_mail (
    id           INTEGER PRIMARY KEY,
    -- The date of the send day (YYYY-MM-DD) that ends the week the summary covers.
    week         TEXT NOT NULL,
    account_id   INTEGER NOT NULL REFERENCES account (id),
    kind         TEXT NOT NULL CHECK (kind IN ('teacher', 'mtss', 'family')),
    -- The child of a family summary; NULL for teacher and MTSS summaries.
    student_key  TEXT REFERENCES person (pkey) ON DELETE CASCADE,
    -- `sending` while claimed by a sender (a claim older than a few minutes is taken over),
    -- `sent` once the server accepted it, `failed` after an error (retried up to a bound).
    status       TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- The error class and SMTP code of the last failure (never the server's text, which may
    -- quote the address).
    last_error   TEXT,
    updated_at   TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
CREATE UNIQUE INDEX summary_mail_once ON summary_mail (week, account_id, kind, COALESCE(student_key, ''));
CREATE INDEX summary_mail_by_week ON summary_mail (week, status);
