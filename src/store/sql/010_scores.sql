-- Migration 10: the local scoring models' results (src/score/). A scorer is known by its identity
-- (the weights' blake3 and its settings) under one name; what it scored is kept by the content hash
-- of its input, so the same prompt and candidate are never scored twice, whichever samples hold them.
-- Per sample it writes a model judgment (judgments.source = 'model', author = the scorer's name: a
-- ratings judgment with one rating per candidate), which never changes an original judgment or a
-- curator's label; `score_margins` holds, per scorer, the margin of the pair the label in force names.
-- Every object is created only if it is missing (as in migration 9), so a test that takes a project
-- back to an older schema need not drop them.

CREATE TABLE IF NOT EXISTS scorers (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,          -- --scorer NAME, score:NAME; its judgments' author
    kind         TEXT NOT NULL,                 -- relevance (sentence embeddings), ...
    architecture TEXT NOT NULL,                 -- config.json's architecture (BertModel)
    weights      TEXT NOT NULL,                 -- blake3 of the weights file, hex
    settings     TEXT NOT NULL,                 -- JSON: pooling, normalization, max tokens, input
    model_path   TEXT,                          -- where its model was loaded from last
    device       TEXT,                          -- the device of its last run (`cpu f32`)
    created_at   TEXT NOT NULL,
    used_at      TEXT NOT NULL,                 -- its last run: `margin` and `agree` without a name use the latest
    UNIQUE (weights, settings)
);

-- One score per scorer and content: blake3 of what the scorer read (the prompt and the candidate).
CREATE TABLE IF NOT EXISTS scores (
    scorer_id  INTEGER NOT NULL REFERENCES scorers(id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    score      REAL NOT NULL,
    detail     TEXT,                            -- JSON: per-sentence scores, where the scorer makes them
    PRIMARY KEY (scorer_id, content)
) WITHOUT ROWID;

-- The embeddings a scorer made on the way (a sentence-embedding scorer's prompts and candidates),
-- by the blake3 of the text: kept for semantic near-duplicates.
CREATE TABLE IF NOT EXISTS embeddings (
    scorer_id  INTEGER NOT NULL REFERENCES scorers(id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    vector     BLOB NOT NULL,                   -- f32 little-endian
    PRIMARY KEY (scorer_id, content)
) WITHOUT ROWID;

-- Per scorer and sample: the pair of the label in force (chosen, rejected positions) and the
-- chosen candidate's score minus the rejected one's. Written with the model judgment and again
-- whenever the label in force changes (store/stats.rs `update_curation`, the one place that
-- follows it), so `margin`, `agree:` and `verdict suspects` read one indexed row per sample.
CREATE TABLE IF NOT EXISTS score_margins (
    scorer_id  INTEGER NOT NULL REFERENCES scorers(id) ON DELETE CASCADE,
    sample_id  INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    chosen     INTEGER NOT NULL,
    rejected   INTEGER NOT NULL,
    margin     REAL NOT NULL,
    PRIMARY KEY (scorer_id, sample_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS score_margins_order ON score_margins(scorer_id, margin);
CREATE INDEX IF NOT EXISTS score_margins_sample ON score_margins(sample_id);

-- A scorer's judgments by sample: what is scored already (a resumed job skips it) and its scores.
CREATE INDEX IF NOT EXISTS judgments_model ON judgments(author, sample_id) WHERE source = 'model';

CREATE TRIGGER IF NOT EXISTS model_judgments_immutable BEFORE UPDATE ON judgments
WHEN OLD.source = 'model'
BEGIN
    SELECT RAISE(ABORT, 'model judgments are never modified');
END;
CREATE TRIGGER IF NOT EXISTS ratings_model_immutable BEFORE UPDATE ON ratings
WHEN (SELECT source FROM judgments WHERE id = OLD.judgment_id) = 'model'
BEGIN
    SELECT RAISE(ABORT, 'model ratings are never modified');
END;
