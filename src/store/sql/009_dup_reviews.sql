-- A duplicate group a curator kept whole ("keep all" in the app's Cleaning panel): by its kind and
-- its members (sample ids ascending, comma-separated), not by the group's id, so that the mark
-- outlives a new pass that finds the same group again, and a group that gained a member is asked
-- about again. Not curation state: nothing is excluded or flagged by it, and the export ignores it.
-- IF NOT EXISTS: tests that take a project back to an older schema leave this table in place.
CREATE TABLE IF NOT EXISTS dup_reviews (
    kind        TEXT NOT NULL,
    members     TEXT NOT NULL,
    curator     TEXT NOT NULL,
    reviewed_at TEXT NOT NULL,
    PRIMARY KEY (kind, members)
) WITHOUT ROWID;
