-- Migration 4: the source file's size in bytes, next to its content hash. Two files of different
-- sizes cannot have the same content, so an import whose size matches no dataset of the project
-- can start reading while its file is still being hashed (ingest/mod.rs); NULL (datasets imported
-- before this migration) counts as "might match", and such an import hashes first, as before.
ALTER TABLE datasets ADD COLUMN source_size INTEGER;
