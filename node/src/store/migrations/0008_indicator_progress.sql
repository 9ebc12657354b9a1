-- 0008_indicator_progress.sql: how far the indicator engine has applied learning events.
-- The engine applies committed events off the ingest path and writes its derived rows together
-- with `applied_seq` in one transaction: after a crash it resumes from here, so no event is lost
-- or counted twice. `generation` changes when `lantern node rebuild` recomputes the tables, which
-- tells a running engine to drop what it holds in memory.
CREATE TABLE indicator_progress (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    applied_seq  INTEGER NOT NULL,
    generation   INTEGER NOT NULL
) STRICT;
-- Earlier versions applied every event inside the ingest transaction: all are applied.
INSERT INTO indicator_progress (id, applied_seq, generation)
    SELECT 1, coalesce(max(seq), 0), 0 FROM learning_event;
