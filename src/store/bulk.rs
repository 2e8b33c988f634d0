//! Settings for long writes (imports): checkpoint the WAL less often, let the full-text index
//! buffer more terms before writing a segment and merge segments with a wider fan-in, then restore
//! the everyday settings at the end.
//!
//! Measured on a 100k-row text-pair import (BENCHMARKS.md): FTS5 indexing is most of the work, and
//! what can be saved is in its segment writes and merges and in the checkpoints between commits.

use super::{Result, Store};

/// FTS5's in-memory buffer of pending terms during an import (its default is 1 MiB).
const BULK_FTS_HASHSIZE: i64 = 48 << 20;
/// Segments merged at once during an import (FTS5's default is 4: more, smaller merges).
const BULK_FTS_AUTOMERGE: i64 = 8;
/// FTS5 defaults, restored after an import.
const FTS_HASHSIZE: i64 = 1 << 20;
const FTS_AUTOMERGE: i64 = 4;
/// Pages of WAL between automatic checkpoints during an import (everyday: 1000).
const BULK_WAL_PAGES: i64 = 8192;

impl Store {
    /// Switches to import settings. Safe to call again on resume; a killed import leaves them on,
    /// which only costs memory until the next import ends.
    pub fn begin_bulk(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", BULK_WAL_PAGES).map_err(|e| self.err(e))?;
        self.fts_config("hashsize", BULK_FTS_HASHSIZE)?;
        self.fts_config("automerge", BULK_FTS_AUTOMERGE)
    }

    /// Restores everyday settings and folds the WAL back into the project file.
    pub fn end_bulk(&self) -> Result<()> {
        self.fts_config("automerge", FTS_AUTOMERGE)?;
        self.fts_config("hashsize", FTS_HASHSIZE)?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 1000).map_err(|e| self.err(e))?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(|e| self.err(e))
    }

    fn fts_config(&self, key: &str, value: i64) -> Result<()> {
        self.conn
            .execute("INSERT INTO sample_fts(sample_fts, rank) VALUES (?1, ?2)", rusqlite::params![key, value])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
