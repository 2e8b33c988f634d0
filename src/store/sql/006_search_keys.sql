-- Migration 6: search that finds what curators type.
--
-- Flag and exclusion reasons are compared with `_` and space the same and ASCII case ignored
-- (`flag:wrong_label` finds "wrong label"): these indexes hold that key for the flagged and the
-- excluded samples (the query compiler writes the same expressions, `query/mod.rs`).
--
-- The full-text index now has every Chinese, Japanese and Korean character as a token of its
-- own (`query::index_text`). After this SQL, in the same transaction, `store/fts_side.rs`
-- (`reindex_split_text`) indexes again the samples whose text has such characters; the rest of
-- the index is the same as before.

CREATE INDEX curation_flag_key ON curation(lower(replace(flag, ' ', '_'))) WHERE flag IS NOT NULL;
CREATE INDEX curation_excluded_key ON curation(lower(replace(excluded, ' ', '_'))) WHERE excluded IS NOT NULL;
