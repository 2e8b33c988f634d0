//! Settings for long writes (imports), restored at the end:
//! - a rollback journal instead of the WAL, when no other connection has the project open: the
//!   pages an import appends are then written once, not to the WAL and again at checkpoint
//!   (halves the time of an import of embedded images, BENCHMARKS.md). `synchronous=FULL` keeps
//!   it safe against power loss; a killed import leaves a hot journal that the next open rolls back.
//!   With another connection open (the app reading while a job imports) the WAL stays, with
//!   checkpoints every 128 MiB instead of every 16 MiB;
//! - FTS5 buffers more terms before writing a segment and merges segments with a wider fan-in.

use super::{BUSY_TIMEOUT, Result, Store};
use std::time::Duration;

/// FTS5's in-memory buffer of pending terms during an import (its default is 1 MiB). FTS5 also
/// flushes at every commit, so this only needs to hold one batch's terms.
const BULK_FTS_HASHSIZE: i64 = 48 << 20;
/// Segments merged at once during an import (FTS5's default is 4: more, smaller merges).
const BULK_FTS_AUTOMERGE: i64 = 8;
/// FTS5 defaults, restored after an import.
const FTS_HASHSIZE: i64 = 1 << 20;
const FTS_AUTOMERGE: i64 = 4;
/// The page cache during an import: its writes append, in rowid or key order, so a small cache
/// serves them, and the memory goes to the batches and FTS5's buffers instead (everyday: 64 MiB).
const BULK_CACHE_KIB: i64 = 16 << 10;
/// Pages of WAL between automatic checkpoints during an import that keeps the WAL (everyday: 1000).
const BULK_WAL_PAGES: i64 = 8192;

impl Store {
    /// Switches to import settings. Safe to call again on resume.
    pub fn begin_bulk(&self) -> Result<()> {
        // Leaving WAL needs the file to itself: try once without waiting, keep WAL when busy.
        self.conn.busy_timeout(Duration::ZERO).map_err(|e| self.err(e))?;
        let mode = self.conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        let mode = match mode {
            Ok(mode) => mode,
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => "wal".into(),
            Err(e) => return Err(self.err(e)),
        };
        if mode == "delete" {
            self.conn.pragma_update(None, "synchronous", "FULL").map_err(|e| self.err(e))?;
        } else {
            self.conn.pragma_update(None, "wal_autocheckpoint", BULK_WAL_PAGES).map_err(|e| self.err(e))?;
        }
        self.conn.pragma_update(None, "cache_size", -BULK_CACHE_KIB).map_err(|e| self.err(e))?;
        self.fts_config("hashsize", BULK_FTS_HASHSIZE)?;
        self.fts_config("automerge", BULK_FTS_AUTOMERGE)
    }

    /// Restores everyday settings: WAL, `synchronous=NORMAL`, FTS5 defaults, the WAL folded back
    /// into the project file.
    pub fn end_bulk(&self) -> Result<()> {
        self.fts_config("automerge", FTS_AUTOMERGE)?;
        self.fts_config("hashsize", FTS_HASHSIZE)?;
        // Back to WAL; if another connection opened the project meanwhile, it stays in rollback
        // mode until the next open (Store::open always asks for WAL): slower to share, still safe.
        match self.conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::DatabaseBusy => {}
            Err(e) => return Err(self.err(e)),
        }
        self.conn.pragma_update(None, "synchronous", "NORMAL").map_err(|e| self.err(e))?;
        self.conn.pragma_update(None, "cache_size", -super::CACHE_KIB).map_err(|e| self.err(e))?;
        self.conn.pragma_update(None, "wal_autocheckpoint", 1000).map_err(|e| self.err(e))?;
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).map_err(|e| self.err(e))
    }

    /// A second full-text indexer for this import (`store/fts_side.rs`), or `None` for an in-memory
    /// project or when its thread cannot start (the import then indexes everything itself).
    pub fn start_side_indexer(&self) -> Option<super::SideIndexer> {
        if self.path.as_os_str() == ":memory:" {
            return None;
        }
        let sql = self.fts_create_sql().ok()?;
        super::SideIndexer::start(&self.path, sql, BULK_FTS_HASHSIZE).ok()
    }

    fn fts_config(&self, key: &str, value: i64) -> Result<()> {
        self.conn
            .execute("INSERT INTO sample_fts(sample_fts, rank) VALUES (?1, ?2)", rusqlite::params![key, value])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
