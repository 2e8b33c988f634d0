-- Migration 5: one write path. Every change a user makes is an operation (`ops`, one row per undo
-- step); the audit log's rows name the operation they belong to, and hold each sample's state
-- before and after, which is what undo and redo restore. Exclusion becomes a curation state. The
-- per-sample list facts that follow the label (chosen/rejected lengths, judgment kinds) now follow
-- the label in force, with the source's own kept in `orig_*` columns (a tie, both-bad or ratings
-- label has no chosen or rejected side: NULL lengths).

CREATE TABLE ops (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,                  -- edit | undo | redo
    action      TEXT NOT NULL,                  -- pick_a, swap, exclude, note, remove_dataset, ..., undo, redo
    target      INTEGER REFERENCES ops(id),     -- undo/redo: the edit it undoes or redoes
    curator     TEXT NOT NULL,
    origin      TEXT NOT NULL,                  -- app | cli | import | test
    detail      TEXT NOT NULL DEFAULT '{}',     -- JSON: the reason, the note, the query it ran over, ...
    samples     INTEGER NOT NULL DEFAULT 0,     -- samples it changed
    skipped     INTEGER NOT NULL DEFAULT 0,     -- samples it left as they were (nothing to do, or changed later)
    state       TEXT NOT NULL DEFAULT 'done',   -- edits: done | undone | discarded (undone, then a new edit: no redo) | final (no undo)
    audit_first INTEGER,                        -- its audit rows: ids audit_first..=audit_last (one transaction
    audit_last  INTEGER,                        --   writes them, so they are consecutive; no index needed)
    created_at  TEXT NOT NULL
);
CREATE INDEX ops_by_curator ON ops(curator, kind, state, id);

-- The samples a bulk operation is changing (store/bulk_state.rs): filled and emptied inside the
-- operation's transaction, so it is empty whenever no operation runs.
CREATE TABLE op_scratch (
    sample_id      INTEGER PRIMARY KEY,
    state          TEXT,                        -- undo/redo: the JSON state to restore, and its fields:
    judgment_id    INTEGER,
    flag           TEXT,
    note           TEXT,
    excluded       TEXT,
    label_changed  INTEGER NOT NULL DEFAULT 0   -- undo/redo: the restore changes the label in force
);

-- The audit log is append-only: its trigger refuses UPDATE, so the backfill below runs with it
-- dropped and puts it back. Each row written before this migration becomes an operation of its own
-- (same id), marked final: the undo stacks of that time lived in the app and ended with it.
DROP TRIGGER audit_log_append_only;
ALTER TABLE audit_log ADD COLUMN op_id INTEGER;   -- ops.id
INSERT INTO ops (id, kind, action, curator, origin, samples, state, audit_first, audit_last, created_at)
SELECT id, 'edit', action, curator, 'app', 1, 'final', id, id, created_at FROM audit_log;
UPDATE audit_log SET op_id = id;
-- A bulk operation writes a million audit rows: each index on them costs. Operations find theirs by
-- id range, the history by sample (audit_log_sample); nothing reads them by time any more.
DROP INDEX audit_log_time;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Exclusion: the sample stays, marked "not in the cleaned set" with a reason.
ALTER TABLE curation ADD COLUMN excluded TEXT;
ALTER TABLE sample_stats ADD COLUMN excluded INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sample_stats_excluded ON sample_stats(sample_id) WHERE excluded;

-- The source's own chosen/rejected lengths and judgment kinds; `len_chosen`, `len_rejected` and
-- `judgment_kinds` now follow the label in force (a curator's, else the original).
ALTER TABLE sample_stats ADD COLUMN orig_len_chosen INTEGER;
ALTER TABLE sample_stats ADD COLUMN orig_len_rejected INTEGER;
ALTER TABLE sample_stats ADD COLUMN orig_kinds INTEGER NOT NULL DEFAULT 0;
UPDATE sample_stats SET orig_len_chosen = len_chosen, orig_len_rejected = len_rejected, orig_kinds = judgment_kinds;
UPDATE sample_stats SET
    len_chosen = (SELECT length(r.text) FROM curation c JOIN judgments j ON j.id = c.judgment_id
                  JOIN responses r ON r.sample_id = c.sample_id AND r.position = j.chosen
                  WHERE c.sample_id = sample_stats.sample_id AND j.kind IN ('pairwise', 'correction', 'ranking')),
    len_rejected = (SELECT length(r.text) FROM curation c JOIN judgments j ON j.id = c.judgment_id
                    JOIN responses r ON r.sample_id = c.sample_id AND r.position = j.rejected
                    WHERE c.sample_id = sample_stats.sample_id AND j.kind IN ('pairwise', 'correction', 'ranking')),
    judgment_kinds = (SELECT CASE j.kind WHEN 'pairwise' THEN 1 WHEN 'ranking' THEN 2 WHEN 'ratings' THEN 4
                                         WHEN 'correction' THEN 8 WHEN 'tie' THEN 16 WHEN 'both_bad' THEN 32 ELSE 0 END
                      FROM curation c JOIN judgments j ON j.id = c.judgment_id WHERE c.sample_id = sample_stats.sample_id)
WHERE edited;
