//! A second full-text indexer for imports, so FTS5 (most of an import's CPU) runs on two cores.
//!
//! The importer's writer indexes some batches itself, in the batch's transaction, and hands the
//! others to an `fts-side` thread whenever it is free. That thread indexes them into an FTS5 table
//! of the same definition in a scratch database next to the project (`<project>.fts-side`). When
//! the import ends, its segments are grafted onto the project's `sample_fts` in one transaction
//! (`Store::graft_side_index`): the side's `%_data` pages, `%_idx` rows and `%_docsize` rows are
//! copied with fresh segment ids and origins, and the structure and averages records are combined
//! (`store/fts_structure.rs`). Pages are copied, not rebuilt, so the copy is a small part of the cost.
//!
//! A killed import leaves the side file behind and some samples unindexed: the samples are
//! committed without their text in the index. `Store::index_missing` (run when an interrupted
//! import resumes) indexes every sample of the dataset that the index lacks; the scratch file is
//! deleted when the next import starts.
//!
//! Every path writes the text as `query::index_text` has it (CJK characters set apart, one token
//! each): the writer's inline batches (`store/write.rs`), this thread, `Store::index_missing`, and
//! migration 6, which indexes again the samples an older Verdict indexed with CJK runs as one token.

use super::fts_structure::{Structure, add_averages};
use super::{Result, Store};
use crate::query::index_text;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

/// One sample's indexed text, as stored (the indexer turns it with `query::index_text`).
#[derive(Debug)]
pub struct FtsDoc {
    /// `samples.id`.
    pub rowid: i64,
    /// The prompt column.
    pub prompt: String,
    /// The responses column: every response text, one per line.
    pub responses: String,
}

/// Inserts one document into `sample_fts`; every writer of the index goes through here.
pub(crate) const FTS_INSERT: &str = "INSERT INTO sample_fts (rowid, prompt, responses) VALUES (?1, ?2, ?3)";

/// A sample's indexed text from the store: the prompt, and the response texts one per line in
/// position order, as the import builds them.
const FTS_DOC_SQL: &str = "SELECT s.prompt,
        coalesce((SELECT group_concat(r.text, char(10) ORDER BY r.position) FROM responses r
                  WHERE r.sample_id = s.id AND r.text IS NOT NULL), '')
 FROM samples s WHERE s.id = ?1";

/// Indexes `rowid`'s text with `insert` (a prepared [`FTS_INSERT`]).
pub(crate) fn insert_doc(
    insert: &mut rusqlite::CachedStatement<'_>,
    rowid: i64,
    prompt: &str,
    responses: &str,
) -> rusqlite::Result<()> {
    insert.execute(params![rowid, index_text(prompt), index_text(responses)]).map(drop)
}

/// Indexes the samples `ids` (not in the index), reading their text from the store.
fn index_samples(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    let mut read = conn.prepare_cached(FTS_DOC_SQL)?;
    let mut insert = conn.prepare_cached(FTS_INSERT)?;
    for &id in ids {
        let (prompt, responses): (String, String) = read.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        insert_doc(&mut insert, id, &prompt, &responses)?;
    }
    Ok(())
}

/// Migration 6: the samples in the index whose text has a character [`index_text`] sets apart
/// are deleted from it and indexed again; the others' rows were written as they would be now.
/// Runs inside the migration's transaction.
pub(crate) fn reindex_split_text(conn: &Connection) -> rusqlite::Result<()> {
    let mut ids = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT s.id, s.prompt,
                    coalesce((SELECT group_concat(r.text, char(10)) FROM responses r
                              WHERE r.sample_id = s.id AND r.text IS NOT NULL), '')
             FROM samples s WHERE EXISTS (SELECT 1 FROM sample_fts_docsize d WHERE d.id = s.id)
             ORDER BY s.id",
        )?;
        let mut rows = stmt.query([])?;
        let changes = |v: rusqlite::types::ValueRef<'_>| -> bool {
            v.as_str().is_ok_and(|t| matches!(index_text(t), std::borrow::Cow::Owned(_)))
        };
        while let Some(r) = rows.next()? {
            if changes(r.get_ref(1)?) || changes(r.get_ref(2)?) {
                ids.push(r.get::<_, i64>(0)?);
            }
        }
    }
    {
        let mut delete = conn.prepare_cached("DELETE FROM sample_fts WHERE rowid = ?1")?;
        for &id in &ids {
            delete.execute([id])?;
        }
    }
    index_samples(conn, &ids)
}

/// Segments merged at once while indexing apart: none. Only FTS5's crisis merges run, which
/// always finish, so no merge is under way when the index is grafted.
const SIDE_AUTOMERGE: i64 = 0;
/// Batches waiting for the side thread, besides the one it indexes.
const SIDE_QUEUE: usize = 1;
/// The side connection's page cache.
const SIDE_CACHE_KIB: i64 = 16 << 10;

/// The `fts-side` thread.
pub struct SideIndexer {
    sender: Option<SyncSender<Vec<FtsDoc>>>,
    queued: Arc<AtomicUsize>,
    thread: Option<JoinHandle<Result<(), String>>>,
    path: PathBuf,
}

impl SideIndexer {
    /// Starts the thread, with a fresh scratch database next to `project`. `create_sql` is the
    /// project's own `CREATE VIRTUAL TABLE sample_fts` statement and `hashsize` FTS5's buffer.
    pub fn start(project: &Path, create_sql: String, hashsize: i64) -> std::io::Result<Self> {
        let path = side_path(project);
        remove_side_file(&path);
        let (sender, receiver) = sync_channel::<Vec<FtsDoc>>(SIDE_QUEUE);
        let queued = Arc::new(AtomicUsize::new(0));
        let thread_queued = Arc::clone(&queued);
        let thread_path = path.clone();
        let thread = std::thread::Builder::new().name("fts-side".into()).spawn(move || {
            let fail = |e: rusqlite::Error| format!("{}: {e}", thread_path.display());
            let mut conn = Connection::open(&thread_path).map_err(fail)?;
            // A scratch file: nothing to protect against a crash, the import re-indexes instead.
            conn.pragma_update(None, "journal_mode", "OFF").map_err(fail)?;
            conn.pragma_update(None, "synchronous", "OFF").map_err(fail)?;
            conn.pragma_update(None, "cache_size", -SIDE_CACHE_KIB).map_err(fail)?;
            conn.execute_batch(&create_sql).map_err(fail)?;
            for (key, value) in [("hashsize", hashsize), ("automerge", SIDE_AUTOMERGE)] {
                conn.execute("INSERT INTO sample_fts(sample_fts, rank) VALUES (?1, ?2)", params![key, value])
                    .map_err(fail)?;
            }
            for docs in receiver {
                thread_queued.fetch_sub(1, Ordering::AcqRel);
                let tx = conn.transaction().map_err(fail)?;
                {
                    let mut stmt = tx.prepare_cached(FTS_INSERT).map_err(fail)?;
                    for d in &docs {
                        insert_doc(&mut stmt, d.rowid, &d.prompt, &d.responses).map_err(fail)?;
                    }
                }
                tx.commit().map_err(fail)?;
            }
            Ok(())
        })?;
        Ok(SideIndexer { sender: Some(sender), queued, thread: Some(thread), path })
    }

    /// Whether a batch handed over now would start at once or wait behind at most the one being
    /// indexed (the writer indexes the batch itself otherwise).
    pub fn has_room(&self) -> bool {
        self.queued.load(Ordering::Acquire) < SIDE_QUEUE && self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Hands over a batch. Returns it when the thread has stopped (it failed): the caller then
    /// leaves those samples to [`Store::index_missing`].
    pub fn give(&self, docs: Vec<FtsDoc>) -> std::result::Result<(), Vec<FtsDoc>> {
        let Some(sender) = &self.sender else { return Err(docs) };
        self.queued.fetch_add(1, Ordering::AcqRel);
        sender.send(docs).map_err(|e| {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            e.0
        })
    }

    /// Waits for the thread to index everything handed over. Returns the scratch file to graft,
    /// or why the side index cannot be used.
    pub fn finish(mut self) -> std::result::Result<PathBuf, String> {
        self.sender = None;
        let outcome = match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Ok(()))) => Ok(self.path.clone()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) | None => Err("the side indexer stopped unexpectedly".into()),
        };
        if outcome.is_err() {
            remove_side_file(&self.path);
        }
        outcome
    }
}

impl Drop for SideIndexer {
    fn drop(&mut self) {
        // Not finished (an error path): stop the thread and drop the scratch file.
        self.sender = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            remove_side_file(&self.path);
        }
    }
}

/// The scratch file for `project`.
pub fn side_path(project: &Path) -> PathBuf {
    let mut name = project.as_os_str().to_owned();
    name.push(".fts-side");
    PathBuf::from(name)
}

pub(crate) fn remove_side_file(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// `%_data` rowids: the segment id sits above 37 bits of dlidx flag, height and page number.
const SEGID_SHIFT: u32 = 37;
/// The averages and structure records' rowids.
const AVERAGES_ROWID: i64 = 1;
const STRUCTURE_ROWID: i64 = 10;
/// FTS5 segment ids are 16-bit.
const MAX_SEGID: u64 = 65535;

impl Store {
    /// The project's `CREATE VIRTUAL TABLE sample_fts ...` statement, for a side index.
    pub(crate) fn fts_create_sql(&self) -> Result<String> {
        self.conn
            .query_row("SELECT sql FROM sqlite_master WHERE name = 'sample_fts'", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Grafts the index built in `side` onto `sample_fts`, in one transaction, then deletes the
    /// scratch file. Runs on a connection of its own, so that every connection's FTS5 (this
    /// store's included) sees the project's data version change and re-reads the index structure.
    pub fn graft_side_index(&self, side: &Path) -> Result<()> {
        let conn = Connection::open(&self.path).map_err(|e| self.err(e))?;
        conn.busy_timeout(super::BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        conn.execute("ATTACH DATABASE ?1 AS side", [side.to_string_lossy()]).map_err(|e| self.err(e))?;
        let result = graft(&conn).map_err(|e| match e {
            GraftError::Sqlite(e) => self.err(e),
            GraftError::Format(message) => super::StoreError::Index { path: self.path.clone(), message },
        });
        let _ = conn.execute("DETACH DATABASE side", []);
        drop(conn);
        remove_side_file(side);
        result
    }

    /// Indexes every sample of `dataset` that `sample_fts` lacks (after an interrupted import),
    /// with the text an import indexes, all or none (a savepoint). Returns how many.
    pub fn index_missing(&self, dataset: crate::model::DatasetId) -> Result<usize> {
        let missing = || -> rusqlite::Result<usize> {
            let ids = self
                .conn
                .prepare(
                    "SELECT s.id FROM samples s
                     WHERE s.dataset_id = ?1 AND NOT EXISTS (SELECT 1 FROM sample_fts_docsize d WHERE d.id = s.id)
                     ORDER BY s.id",
                )?
                .query_map([dataset.0], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            index_samples(&self.conn, &ids)?;
            Ok(ids.len())
        };
        self.conn.execute_batch("SAVEPOINT index_missing").map_err(|e| self.err(e))?;
        match missing() {
            Ok(n) => {
                self.conn.execute_batch("RELEASE index_missing").map_err(|e| self.err(e))?;
                Ok(n)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK TO index_missing; RELEASE index_missing");
                Err(self.err(e))
            }
        }
    }
}

#[derive(Debug)]
enum GraftError {
    Sqlite(rusqlite::Error),
    Format(String),
}

impl From<rusqlite::Error> for GraftError {
    fn from(e: rusqlite::Error) -> Self {
        GraftError::Sqlite(e)
    }
}

fn graft(conn: &Connection) -> std::result::Result<(), GraftError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = graft_in_transaction(conn);
    match result {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(_) => {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    result
}

fn graft_in_transaction(conn: &Connection) -> std::result::Result<(), GraftError> {
    let record = |db: &str, rowid: i64| -> rusqlite::Result<Vec<u8>> {
        conn.query_row(&format!("SELECT block FROM {db}.sample_fts_data WHERE id = ?1"), [rowid], |r| r.get(0))
            .optional()
            .map(Option::unwrap_or_default)
    };
    let format = |e: super::fts_structure::FormatError| GraftError::Format(e.to_string());
    let side = Structure::decode(&record("side", STRUCTURE_ROWID)?).map_err(format)?;
    if side.segments().next().is_none() {
        return Ok(());
    }
    if side.levels.iter().any(|l| l.merging > 0) || side.segments().any(|s| s.tombstone_pages > 0) {
        return Err(GraftError::Format("the side index has a merge under way or deleted rows".into()));
    }
    let mut main = Structure::decode(&record("main", STRUCTURE_ROWID)?).map_err(format)?;

    // Fresh ids for the side's segments, none of them in use here.
    let used: HashSet<u64> = main.segments().map(|s| s.id).collect();
    let mut free = (1..=MAX_SEGID).filter(|id| !used.contains(id));
    // In the side's id order, so that its pages, read in rowid order, land in rowid order here.
    let mut side_ids: Vec<u64> = side.segments().map(|s| s.id).collect();
    side_ids.sort_unstable();
    let mut map = Vec::new();
    for old in side_ids {
        let id = free.next().ok_or_else(|| GraftError::Format("no free segment ids".into()))?;
        map.push((old, id));
    }
    conn.execute_batch("CREATE TEMP TABLE IF NOT EXISTS fts_segmap (old INTEGER PRIMARY KEY, new INTEGER NOT NULL); DELETE FROM temp.fts_segmap;")?;
    {
        let mut stmt = conn.prepare("INSERT INTO temp.fts_segmap (old, new) VALUES (?1, ?2)")?;
        for (old, new) in &map {
            stmt.execute(params![*old as i64, *new as i64])?;
        }
    }
    // Side origins go above ours: the side's rows are all newer.
    let offset = main.max_origin();

    {
        // Segment by segment, as rowid ranges: the pages of a segment are rowids `id << 37 ..`.
        let mut copy = conn.prepare(
            "INSERT INTO main.sample_fts_data (id, block)
             SELECT id + ?3, block FROM side.sample_fts_data WHERE id >= ?1 AND id < ?2",
        )?;
        for (old, new) in &map {
            let (old, new) = (*old as i64, *new as i64);
            copy.execute(params![old << SEGID_SHIFT, (old + 1) << SEGID_SHIFT, (new - old) << SEGID_SHIFT])?;
        }
    }
    conn.execute(
        "INSERT INTO main.sample_fts_idx (segid, term, pgno)
         SELECT m.new, i.term, i.pgno FROM side.sample_fts_idx i JOIN temp.fts_segmap m ON m.old = i.segid",
        [],
    )?;
    conn.execute(
        "INSERT INTO main.sample_fts_docsize (id, sz, origin)
         SELECT id, sz, origin + ?1 FROM side.sample_fts_docsize",
        [offset as i64],
    )?;

    let new_id = |old: u64| map.iter().find(|(o, _)| *o == old).map_or(old, |(_, n)| *n);
    main.graft(&side, new_id, offset);
    let averages = add_averages(&record("main", AVERAGES_ROWID)?, &record("side", AVERAGES_ROWID)?).map_err(format)?;
    let mut put = conn.prepare("INSERT OR REPLACE INTO main.sample_fts_data (id, block) VALUES (?1, ?2)")?;
    put.execute(params![STRUCTURE_ROWID, main.encode()])?;
    put.execute(params![AVERAGES_ROWID, averages])?;
    Ok(())
}
