-- indicators (issue 6): mastery, attendance, participation and item statistics.
-- (Filled in by the work on indicators.)
SELECT 1;
