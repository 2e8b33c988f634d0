-- Migration 2: curation. Curators' labels are judgments with source 'curator' (never replacing the
-- originals); `curation` holds each sample's current state; `audit_log` records every action with
-- the state before and after, append-only.

CREATE TABLE curation (
    sample_id    INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
    judgment_id  INTEGER REFERENCES judgments(id),   -- the current curator judgment; NULL: the original stands
    flag         TEXT,                               -- flag reason; NULL: not flagged
    note         TEXT,
    updated_at   TEXT NOT NULL
);
CREATE INDEX curation_flag ON curation(flag) WHERE flag IS NOT NULL;

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    sample_id   INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    curator     TEXT NOT NULL,
    action      TEXT NOT NULL,                       -- pick_a | pick_b | swap | tie | both_bad | flag | unflag | note | undo | redo
    before      TEXT NOT NULL,                       -- JSON CurationState
    after       TEXT NOT NULL,                       -- JSON CurationState
    created_at  TEXT NOT NULL
);
CREATE INDEX audit_log_sample ON audit_log(sample_id, id);
CREATE INDEX audit_log_time ON audit_log(created_at);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER curator_judgments_immutable BEFORE UPDATE ON judgments
WHEN OLD.source = 'curator'
BEGIN
    SELECT RAISE(ABORT, 'curator judgments are never modified: record a new one');
END;
