-- Migration 1: the project file's first schema.
-- Enums are stored as lowercase text (see model::*::as_str). Times are ISO-8601 UTC text.

CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,                 -- file stem, shown to curators
    source_path   TEXT NOT NULL,                 -- absolute path at import time
    content_hash  TEXT NOT NULL,                 -- blake3 of the source file's bytes
    format        TEXT NOT NULL,                 -- jsonl | json | parquet | arrow
    preset        TEXT NOT NULL,                 -- the preset (or 'mapping') that read it
    options_key   TEXT NOT NULL,                 -- hash of preset + media root + mapping: same file, other options = other dataset
    media_root    TEXT,                          -- absolute; relative media paths resolve against it
    mapping       TEXT,                          -- the column mapping used, as TOML text
    status        TEXT NOT NULL,                 -- importing | complete
    rows_done     INTEGER NOT NULL DEFAULT 0,    -- source rows fully handled: the resume point
    sample_count  INTEGER NOT NULL DEFAULT 0,
    error_count   INTEGER NOT NULL DEFAULT 0,
    warning_count INTEGER NOT NULL DEFAULT 0,
    columns       TEXT,                          -- JSON list of the source's top-level columns
    imported_at   TEXT NOT NULL,
    finished_at   TEXT,
    UNIQUE (content_hash, options_key)
);

-- The import report: one line per bad row or unreadable part of a row.
CREATE TABLE import_issues (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    row_index   INTEGER,                         -- 0-based source row; NULL for file-level issues
    field       TEXT,                            -- the column or path inside the row
    severity    TEXT NOT NULL,                   -- error (row not imported) | warning (imported, part missing)
    message     TEXT NOT NULL
);
CREATE INDEX import_issues_dataset ON import_issues(dataset_id, row_index);

CREATE TABLE samples (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    row_index   INTEGER NOT NULL,                -- 0-based row in the source file
    sub_index   INTEGER NOT NULL DEFAULT 0,      -- several samples from one row (HA-DPO desc)
    source_key  TEXT,                            -- the source's own id, as text
    prompt      TEXT NOT NULL,
    context     TEXT,                            -- JSON [{role, content}] of earlier turns, NULL if none
    modality    TEXT NOT NULL,                   -- text | image | images | video | audio | mixed, derived from media
    extras      TEXT,                            -- JSON object of source columns the model has no place for
    UNIQUE (dataset_id, row_index, sub_index)
);
CREATE INDEX samples_source_key ON samples(dataset_id, source_key);

CREATE TABLE responses (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,                -- 0-based, source order
    text        TEXT,                            -- NULL when the candidate is media only
    model       TEXT,                            -- generating model, when known
    field       TEXT NOT NULL,                   -- source field it came from
    meta        TEXT,                            -- JSON: per-response scores, reasons
    UNIQUE (sample_id, position)
);

-- Embedded media bytes, stored once per content hash however many rows share them.
CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,                -- blake3, hex
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL
);

CREATE TABLE media (
    id            INTEGER PRIMARY KEY,
    sample_id     INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,              -- order within the sample
    role          TEXT NOT NULL,                 -- input | retrieved | candidate
    kind          TEXT NOT NULL,                 -- image | video | frames | audio
    response_pos  INTEGER,                       -- for candidates: the response position it belongs to
    field         TEXT NOT NULL,                 -- source field (image, images[2], image_1)
    blob_hash     TEXT REFERENCES blobs(hash),   -- embedded bytes
    name          TEXT,                          -- file name given next to embedded bytes
    path          TEXT,                          -- reference as written in the source
    resolved_path TEXT,                          -- absolute path inside the media root
    url           TEXT,                          -- remote reference, never fetched
    probe_status  TEXT NOT NULL,                 -- pending | ok | failed | not_fetched | unresolved
    probe_error   TEXT,
    width         INTEGER,
    height        INTEGER,
    duration_s    REAL,
    fps           REAL,
    frame_count   INTEGER,
    sample_rate   INTEGER,
    channels      INTEGER,
    codec         TEXT,
    UNIQUE (sample_id, position)
);
CREATE INDEX media_blob ON media(blob_hash);
CREATE INDEX media_probe ON media(probe_status);

CREATE TABLE judgments (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    source      TEXT NOT NULL,                   -- original | curator | model
    author      TEXT,                            -- curator name or model id; NULL for original
    label       TEXT NOT NULL,                   -- overall | safer | helpfulness | ...
    kind        TEXT NOT NULL,                   -- pairwise | ranking | ratings | correction | tie | both_bad
    chosen      INTEGER,                         -- response position
    rejected    INTEGER,                         -- response position
    ranking     TEXT,                            -- JSON list of positions, best first
    detail      TEXT,                            -- JSON: the source's own words (reasons, raw label, flags)
    created_at  TEXT NOT NULL
);
CREATE INDEX judgments_sample ON judgments(sample_id, source);

CREATE TABLE ratings (
    id           INTEGER PRIMARY KEY,
    judgment_id  INTEGER NOT NULL REFERENCES judgments(id) ON DELETE CASCADE,
    response_pos INTEGER,                        -- NULL: rates the whole sample
    aspect       TEXT NOT NULL,
    value        REAL,                           -- numeric when the raw value parses
    raw          TEXT NOT NULL,                  -- exactly as the source wrote it ("N/A" kept)
    rationale    TEXT,
    critique     TEXT
);
CREATE INDEX ratings_judgment ON ratings(judgment_id);

-- Original annotations are facts about the source: they can be deleted with their dataset, never edited.
CREATE TRIGGER judgments_original_immutable BEFORE UPDATE ON judgments
WHEN OLD.source = 'original'
BEGIN
    SELECT RAISE(ABORT, 'original judgments are never modified');
END;
CREATE TRIGGER ratings_original_immutable BEFORE UPDATE ON ratings
WHEN (SELECT source FROM judgments WHERE id = OLD.judgment_id) = 'original'
BEGIN
    SELECT RAISE(ABORT, 'original ratings are never modified');
END;

-- Full-text search over prompts and responses; rowid = samples.id.
CREATE VIRTUAL TABLE sample_fts USING fts5(
    prompt, responses,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
