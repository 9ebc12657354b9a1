-- alerts (issue 7): flags and their history, interventions, progress checks, appeals.
-- (Filled in by the work on alerts.)
SELECT 1;
