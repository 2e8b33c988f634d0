//! The project file: one SQLite database (WAL, foreign keys, FTS5) that holds every dataset,
//! sample, response, media item and judgment of a curation project.
//!
//! `Store` owns the connection. Its `impl` is split by concern: `datasets.rs` (import bookkeeping
//! and the import report), `write.rs` (inserting prepared samples), `read.rs` (queries for the
//! front ends), `search.rs` (running compiled queries), `list.rs` (the sorted sample list),
//! `curation.rs` (curators' actions), `stats.rs` (the per-sample facts lists and queries read).
//! Schema changes are numbered migrations in `sql/`, applied in one transaction each.

mod agreement;
mod bulk;
mod bulk_state;
mod checks;
mod clean_pages;
mod cleaning;
mod curate;
mod curation;
mod dataset_ops;
mod datasets;
mod fts_side;
mod fts_structure;
mod full;
mod label;
mod list;
mod ops;
mod overview;
mod read;
mod scores;
mod search;
mod shapes;
mod stats;
mod undo;
mod watch;
mod write;

pub use crate::model::{EXCLUDE_REASONS, FLAG_REASONS};
pub use agreement::{Agreement, AgreementRow, group_name};
pub use bulk_state::StateField;
pub use checks::{CHECK_FAILED_PREFIX, CheckMedia, NewFinding, StoredFinding};
pub use clean_pages::{CurationMarks, DupGroupRow, DupKindCount, PageFrom};
pub use cleaning::{
    CleanRun, ContaminationHit, DupGroup, DupMember, KeeperFacts, MediaItem, NewFingerprint, SampleMedia, SamplePlace,
    SplitIdentity,
};
pub use curate::{ALREADY, Curated, CurationAction, RankMove, Skipped, position_letter};
pub use curation::{AuditEntry, CurationState, Label, NewJudgment, NewRating};
pub use dataset_ops::{ImportedFile, MediaPath, Relinked, Removed};
pub use datasets::{DatasetInfo, DatasetStatus, ImportIssue, NewDataset};
pub use fts_side::{FtsDoc, SideIndexer, side_path};
pub use full::{CurationRecord, FullSample, ReadAhead};
pub use label::{ScoreBasis, in_force, original, response_scores};
pub use list::{ListRow, SortKey};
pub use ops::{Actor, ChangeKinds, Changes, OpKind, OpRow, OpSpec, OpTx};
pub use overview::Overview;
pub use read::{DatasetSummary, JudgmentView, MediaView, RatingView, ResponseView, SampleView};
pub use scores::{MarginRow, NewScorer, ScoreBatch, ScoreInput, ScoreMediaRow, ScorerRow};
pub use search::SampleRow;
pub use shapes::Shape;
pub use undo::{Conflict, HistoryEntry, SampleChange, Undone};
pub use watch::CommitWatch;
pub use write::{FtsWrite, ImportBatch, PreparedMedia, PreparedSample, StoredBlob, Written};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Errors from the project file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("project file {path}: {source}")]
    Sqlite {
        /// The project file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer Verdict.
    #[error("project file {path} has schema version {found}; this Verdict understands up to {supported}")]
    TooNew {
        /// The project file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// The newest migration this build has.
        supported: i64,
    },
    /// A lookup found nothing.
    #[error("{0}")]
    NotFound(String),
    /// An action that does not apply (nothing to swap, an undo that would revert a later change).
    #[error("{0}")]
    Refused(String),
    /// The operation was cancelled before it committed: nothing changed.
    #[error("cancelled: nothing was changed")]
    Cancelled,
    /// The full-text index is not in the shape this build writes.
    #[error("project file {path}: full-text index: {message}")]
    Index {
        /// The project file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl StoreError {
    /// Whether another connection held the write lock longer than this one waits: nothing was
    /// changed, and the same write can be tried again.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Sqlite { source: rusqlite::Error::SqliteFailure(e, _), .. }
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
        )
    }
}

/// `Result` with a [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Numbered migrations; `user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/001_init.sql"),
    include_str!("sql/002_curation.sql"),
    include_str!("sql/003_list.sql"),
    include_str!("sql/004_source_size.sql"),
    include_str!("sql/005_ops.sql"),
    include_str!("sql/006_fts_cjk.sql"),
    include_str!("sql/007_reasons_blocked.sql"),
    include_str!("sql/008_clean.sql"),
    include_str!("sql/009_dup_reviews.sql"),
    include_str!("sql/010_scores.sql"),
];

/// A step in Rust that runs after a migration's SQL, in the same transaction.
type MigrationStep = fn(&Connection) -> rusqlite::Result<()>;

/// The migrations (numbered from 1) with a step in Rust after their SQL.
const MIGRATION_STEPS: &[(usize, MigrationStep)] = &[
    // The full-text index with CJK characters set apart (`query::index_text`).
    (6, fts_side::reindex_split_text),
    // Listed flag and exclusion reasons in their one spelling (`model::canonical_reason`).
    (7, curation::respell_reasons),
];

/// The schema version this build writes (the number of migrations).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// An open project file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the project file at `path` and brings its schema up to date.
    /// Whether opening the project at `path` will run migrations (which take seconds on a large
    /// project: front ends run that open off their UI thread). A missing file needs none.
    pub fn needs_upgrade(path: &Path) -> bool {
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Connection::open_with_flags(path, flags)
            .and_then(|c| c.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)))
            .is_ok_and(|v| v < MIGRATIONS.len() as i64 && v > 0)
    }

    /// How long this connection waits for another one's write transaction before a write fails
    /// with [`StoreError::is_busy`] (5 s unless set). A front end's UI thread sets a short wait and
    /// tries again later instead of freezing while a job writes.
    pub fn set_busy_timeout(&self, wait: std::time::Duration) -> Result<()> {
        self.conn.busy_timeout(wait).map_err(|e| self.err(e))
    }

    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite { path: path.to_owned(), source })?;
        let mut store = Store { conn, path: path.to_owned() };
        store.configure().map_err(|e| store.err(e))?;
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory project, for tests.
    pub fn open_in_memory() -> Result<Self> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite { path: path.clone(), source })?;
        let mut store = Store { conn, path };
        store.configure().map_err(|e| store.err(e))?;
        store.migrate()?;
        Ok(store)
    }

    /// The project file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw connection, for queries the typed API does not cover (tests, diagnostics).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn configure(&self) -> rusqlite::Result<()> {
        // WAL lets the UI read while a background job writes; NORMAL sync keeps every committed
        // transaction across a process crash (only an OS crash can lose the last commits).
        // 16 KiB pages: prompts and responses of a few KB fit without overflow chains, and embedded
        // images take a quarter of the page hops. Only takes effect when the file is created.
        self.conn.pragma_update(None, "page_size", 16384)?;
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| self.err(e))?;
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, supported });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx =
                self.conn.transaction().map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })?;
            let mut steps = MIGRATION_STEPS.iter().filter(|(n, _)| *n == i + 1);
            tx.execute_batch(sql)
                .and_then(|()| steps.try_for_each(|(_, step)| step(&tx)))
                .and_then(|()| tx.pragma_update(None, "user_version", i as i64 + 1))
                .and_then(|()| tx.commit())
                .map_err(|source| StoreError::Sqlite { path: self.path.clone(), source })?;
        }
        Ok(())
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(|e| self.err(e))
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }
}

/// The page cache of a connection, in KiB.
pub(crate) const CACHE_KIB: i64 = 64 << 10;

/// How long a statement waits for another connection's lock before failing.
pub(crate) const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The current time as ISO-8601 UTC text with milliseconds, as SQLite writes it.
pub(crate) const NOW_SQL: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_project_has_every_migration_and_fts5() {
        let store = Store::open_in_memory().expect("opens");
        assert_eq!(store.schema_version().expect("version"), MIGRATIONS.len() as i64);
        let n: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM sample_fts WHERE sample_fts MATCH 'anything'", [], |r| r.get(0))
            .expect("fts5 is compiled in");
        assert_eq!(n, 0);
    }

    #[test]
    fn reopening_a_project_keeps_its_schema_and_foreign_keys_on() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.verdict");
        drop(Store::open(&path).expect("creates"));
        let store = Store::open(&path).expect("reopens");
        let fk: i64 = store.conn().pragma_query_value(None, "foreign_keys", |r| r.get(0)).expect("pragma");
        assert_eq!(fk, 1);
        let mode: String = store.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("pragma");
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_newer_schema_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p.verdict");
        let store = Store::open(&path).expect("creates");
        store.conn().pragma_update(None, "user_version", 99).expect("bump");
        drop(store);
        let err = Store::open(&path).err().expect("refused");
        assert!(err.to_string().contains("schema version 99"), "{err}");
    }
}
