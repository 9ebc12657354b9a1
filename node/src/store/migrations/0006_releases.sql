-- releases (issue 8): privacy ledger and the outbox of sealed releases.
-- (Filled in by the work on releases.)
SELECT 1;
