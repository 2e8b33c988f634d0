-- Cleaning: fingerprints computed once per media content and per text, the groups the duplicate
-- passes found, contamination hits against reference sets, and check findings. All of it is
-- derived from the samples (recomputed by the passes); curation decisions on it (exclusions,
-- flags) go through the write path like any other.

-- A dataset marked as a reference set (an evaluation benchmark): never exported, never a
-- duplicate of another reference member; other samples that match it are contaminated.
ALTER TABLE datasets ADD COLUMN reference INTEGER NOT NULL DEFAULT 0;

-- The content hash (blake3) of a referenced media file, by its resolved path, size and mtime.
CREATE TABLE file_hashes (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    mtime_ns  INTEGER NOT NULL,
    content   TEXT NOT NULL
) WITHOUT ROWID;

-- A media content's fingerprint, once per algorithm: `phash` (8 bytes, big-endian: imagededup's
-- hex), `frames` (8 bytes a sampled frame), `chromaprint` (4 bytes, little-endian, a sub-fingerprint),
-- `decode1` (the check's full decode: JSON of what decoded, e.g. an image's size and entropy).
-- `error` says why there is none (the media does not decode).
CREATE TABLE fingerprints (
    content   TEXT NOT NULL,
    algo      TEXT NOT NULL,
    value     BLOB,
    error     TEXT,
    PRIMARY KEY (content, algo)
) WITHOUT ROWID;

-- A text's MinHash signature (`perms` 32-bit values, little-endian), by the text's exact key
-- (blake3 of its normalized form, 16 bytes) and the shingle and permutation settings.
CREATE TABLE text_signatures (
    key       BLOB NOT NULL,
    params    TEXT NOT NULL,
    minhash   BLOB NOT NULL,
    PRIMARY KEY (key, params)
) WITHOUT ROWID;

-- The groups of the latest run of each kind: image, video, audio, prompt, response, sample.
CREATE TABLE dup_groups (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    settings  TEXT NOT NULL,                 -- JSON: radius, threshold, coverage, ...
    size      INTEGER NOT NULL
);
CREATE INDEX dup_groups_kind ON dup_groups(kind);

-- Members: samples (and for `response`, which response); `rank` 0 is the keeper by the group's
-- order (import order), `score` the member's closest link (a distance in bits, or a similarity).
CREATE TABLE dup_members (
    group_id  INTEGER NOT NULL REFERENCES dup_groups(id) ON DELETE CASCADE,
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    part      INTEGER NOT NULL DEFAULT -1,   -- -1: the sample; else a response position
    rank      INTEGER NOT NULL,
    score     REAL,
    PRIMARY KEY (group_id, sample_id, part)
) WITHOUT ROWID;
CREATE INDEX dup_members_sample ON dup_members(sample_id);

-- A sample that nearly duplicates a reference member: `by` image, prompt or both.
CREATE TABLE contamination (
    sample_id    INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    reference_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    by           TEXT NOT NULL,
    distance     REAL,                       -- image: bits; prompt: 1 - similarity
    PRIMARY KEY (sample_id, reference_id)
) WITHOUT ROWID;

-- What the latest `verdict check` found (replaced by each run): one row per sample, check and
-- (where one is to blame) media item or response; `other_id` the sample an opposite label is in.
CREATE TABLE check_findings (
    id        INTEGER PRIMARY KEY,
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,                 -- one of model::CHECK_KINDS
    media_id  INTEGER REFERENCES media(id) ON DELETE CASCADE,
    response  INTEGER,                       -- a response position
    other_id  INTEGER REFERENCES samples(id) ON DELETE CASCADE,
    detail    TEXT NOT NULL                  -- what is wrong, in words
);
CREATE INDEX check_findings_sample ON check_findings(sample_id);
CREATE INDEX check_findings_kind ON check_findings(kind);

-- The passes' settings and state (resumable: what is fingerprinted is kept as it goes).
CREATE TABLE clean_runs (
    kind        TEXT PRIMARY KEY,            -- media, text, groups, contamination, checks
    settings    TEXT NOT NULL,
    status      TEXT NOT NULL,               -- running | complete
    started_at  TEXT NOT NULL,
    finished_at TEXT
) WITHOUT ROWID;

-- A media item's content hash (its blob's, or its file's, or its frame folder's frames'): set by
-- the media pass, so fingerprints join media without hashing twice.
ALTER TABLE media ADD COLUMN content TEXT;
CREATE INDEX media_content ON media(content);
