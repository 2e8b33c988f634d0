-- Migration 3: per-sample facts the sample list sorts by and the query language filters on, in one
-- narrow table next to `samples`, so a filter or a sort over a million samples reads a few MB of
-- integers and short strings instead of prompts, responses and judgments. Import fills a row for
-- every sample it stores (store/write.rs), curation keeps `current`, `flagged`, `edited` and
-- `noted` up to date in the same transaction as the action (store/curation.rs). Lengths are
-- characters (`length()`). A is response position 0, B position 1.

CREATE TABLE sample_stats (
    sample_id       INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
    dataset_id      INTEGER NOT NULL,             -- samples.dataset_id
    row_index       INTEGER NOT NULL,             -- samples.row_index
    modality        TEXT NOT NULL,                -- samples.modality
    n_responses     INTEGER NOT NULL,
    len_prompt      INTEGER NOT NULL,
    len_a           INTEGER,                      -- NULL: no response A, or it has no text
    len_b           INTEGER,
    len_chosen      INTEGER,                      -- chosen/rejected of the first original pairwise, correction or ranking judgment naming a stored response
    len_rejected    INTEGER,
    model_a         TEXT,
    model_b         TEXT,
    models          TEXT,                         -- every response's model, joined by char(31); NULL: none known
    judgment_kinds  INTEGER NOT NULL,             -- bit set of the original judgments' kinds (bit i: model::JudgmentKind::ALL[i])
    original        TEXT NOT NULL,                -- the original label in short: A>B, B>A, tie, both_bad, ranking, ratings, correction, pairwise, '' (none)
    current         TEXT NOT NULL,                -- the same for the label now: the curator's, else the original
    flagged         INTEGER NOT NULL DEFAULT 0,   -- 0/1: curation.flag IS NOT NULL
    edited          INTEGER NOT NULL DEFAULT 0,   -- 0/1: curation.judgment_id IS NOT NULL
    noted           INTEGER NOT NULL DEFAULT 0    -- 0/1: curation.note IS NOT NULL
);

-- Backfill, through two scratch tables of per-sample aggregates (one pass over each child table)
-- joined once: correlated subqueries per sample and column take minutes on a million samples, and
-- UPDATE ... FROM passes take longer than this. The scratch tables live in `main`, not `temp`: a
-- temp schema left on the connection makes an unqualified `PRAGMA wal_checkpoint` fail with
-- SQLITE_LOCKED.
CREATE TABLE migration3_responses (sample_id INTEGER PRIMARY KEY, n, len_a, len_b, model_a, model_b, models);
INSERT INTO migration3_responses
SELECT sample_id, count(*),
       max(CASE position WHEN 0 THEN length(text) END), max(CASE position WHEN 1 THEN length(text) END),
       max(CASE position WHEN 0 THEN model END), max(CASE position WHEN 1 THEN model END),
       group_concat(model, char(31) ORDER BY position)
FROM responses GROUP BY sample_id;

-- Per sample: the kinds of its original judgments (bit i: JudgmentKind::ALL[i]); its label, the original `overall`
-- judgment, else the first naming a pair (as Store::current_label), else the first (`pick`: rank * 2^40 + id);
-- and as query::side_len did before this table: the chosen and the rejected position of the first original
-- pairwise, correction or ranking judgment that names a stored response (id * 2^32 + position).
CREATE TABLE migration3_judgments (sample_id INTEGER PRIMARY KEY, kinds, pick, chosen, rejected);
INSERT INTO migration3_judgments
SELECT j.sample_id,
       (max(j.kind = 'pairwise') + 2 * max(j.kind = 'ranking') + 4 * max(j.kind = 'ratings')
           + 8 * max(j.kind = 'correction') + 16 * max(j.kind = 'tie') + 32 * max(j.kind = 'both_bad')),
       min(((j.label != 'overall' AND j.chosen IS NULL) * 2 + (j.label != 'overall')) * 1099511627776 + j.id)
           % 1099511627776,
       min(CASE WHEN j.kind IN ('pairwise', 'correction', 'ranking') AND j.chosen >= 0 AND j.chosen < r.n
                THEN j.id * 4294967296 + j.chosen END) % 4294967296,
       min(CASE WHEN j.kind IN ('pairwise', 'correction', 'ranking') AND j.rejected >= 0 AND j.rejected < r.n
                THEN j.id * 4294967296 + j.rejected END) % 4294967296
FROM judgments j LEFT JOIN migration3_responses r ON r.sample_id = j.sample_id
WHERE j.source = 'original'
GROUP BY j.sample_id;

INSERT INTO sample_stats (sample_id, dataset_id, row_index, modality, n_responses, len_prompt, len_a, len_b,
                          len_chosen, len_rejected, model_a, model_b, models, judgment_kinds, original, current,
                          flagged, edited, noted)
SELECT s.id, s.dataset_id, s.row_index, s.modality, coalesce(r.n, 0), length(s.prompt), r.len_a, r.len_b,
       CASE j.chosen WHEN 0 THEN r.len_a WHEN 1 THEN r.len_b
           ELSE (SELECT length(text) FROM responses WHERE sample_id = s.id AND position = j.chosen) END,
       CASE j.rejected WHEN 0 THEN r.len_a WHEN 1 THEN r.len_b
           ELSE (SELECT length(text) FROM responses WHERE sample_id = s.id AND position = j.rejected) END,
       r.model_a, r.model_b, r.models, coalesce(j.kinds, 0),
       coalesce(o.summary, ''),
       coalesce(cj.summary, o.summary, ''),
       c.flag IS NOT NULL, c.judgment_id IS NOT NULL, c.note IS NOT NULL
FROM samples s
LEFT JOIN migration3_responses r ON r.sample_id = s.id
LEFT JOIN migration3_judgments j ON j.sample_id = s.id
LEFT JOIN (SELECT id, CASE WHEN kind = 'pairwise' AND chosen BETWEEN 0 AND 25 AND rejected BETWEEN 0 AND 25
                           THEN char(65 + chosen) || '>' || char(65 + rejected) ELSE kind END AS summary
           FROM judgments) o ON o.id = j.pick
LEFT JOIN curation c ON c.sample_id = s.id
LEFT JOIN (SELECT id, CASE WHEN kind = 'pairwise' AND chosen BETWEEN 0 AND 25 AND rejected BETWEEN 0 AND 25
                           THEN char(65 + chosen) || '>' || char(65 + rejected) ELSE kind END AS summary
           FROM judgments) cj ON cj.id = c.judgment_id;

DROP TABLE migration3_responses;
DROP TABLE migration3_judgments;

-- Indexes: only for the curation flags, which are rare and asked for often (`is:flagged`): tiny
-- partial indexes, free at import. Nothing else is indexed on purpose. Every other filter is a
-- scan of this narrow table (about 100 ms for a million samples) or a rowid lookup (free text,
-- `key:`, `flag:`, ...), and the list sorts in Rust (store/list.rs). Indexes on the lengths and
-- labels were tried on a million samples (BENCHMARKS.md, "Query latency (issue 3)"): without
-- statistics SQLite takes a range on an index for selective and walks it with a table lookup
-- per row, so `len_a>300 len_b<700` took 1.1 s and `len_chosen>500` sorted by `len_a` 1.7 s,
-- against about 0.1-0.2 s for the scan; they also cost import time and 10 s of this migration.
CREATE INDEX sample_stats_flagged ON sample_stats(sample_id) WHERE flagged;
CREATE INDEX sample_stats_edited ON sample_stats(sample_id) WHERE edited;
CREATE INDEX sample_stats_noted ON sample_stats(sample_id) WHERE noted;
