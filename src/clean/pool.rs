//! The worker pool the media passes share (fingerprinting, decoding in full): the caller's thread
//! prepares each item (it may read the store, or find the item done already), one named worker
//! thread per core (at most 8) turns work into results, and the caller's thread writes the results
//! in batches. At most four items per worker are out at once, so neither channel ever blocks a
//! sender the other side has stopped serving: a cancel (through `progress`) returns with work in
//! flight and the scope ends the workers.

use super::CleanError;
use crate::jobs::Progress;
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};

/// What the caller's thread made of an item.
pub enum Prepared<W, D> {
    /// Nothing for a worker to do: the result as it is.
    Done(D),
    /// Work for a worker.
    Work(W),
}

/// A pool: its threads' name and how many results are written at once.
#[derive(Debug, Clone, Copy)]
pub struct Pool {
    /// The threads are `name-0`, `name-1`, ...
    pub name: &'static str,
    /// Results written together (what a kill can cost).
    pub batch: usize,
}

impl Pool {
    /// Runs `items` through `prepare` (caller's thread, with `ctx`), `work` (workers) and `write`
    /// (caller's thread, with `ctx`, whenever `batch` results are waiting, and once at the end).
    /// Progress ticks count items handled. Returns how many.
    pub fn run<I, W, D, C>(
        self,
        items: &[I],
        ctx: &mut C,
        progress: &mut Progress,
        mut prepare: impl FnMut(&mut C, &I) -> Result<Prepared<W, D>, CleanError>,
        work: impl Fn(&W) -> D + Sync,
        mut write: impl FnMut(&mut C, &mut Vec<D>) -> Result<(), CleanError>,
    ) -> Result<u64, CleanError>
    where
        W: Send,
        D: Send,
    {
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).clamp(1, 8);
        let (work_tx, work_rx) = sync_channel::<W>(workers * 4);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = sync_channel::<D>(workers * 4);
        let Pool { name, batch } = self;
        let stopped = || CleanError::Io(format!("the {name} threads stopped"));
        std::thread::scope(|scope| -> Result<u64, CleanError> {
            let work = &work;
            for w in 0..workers {
                let (rx, tx) = (work_rx.clone(), done_tx.clone());
                std::thread::Builder::new()
                    .name(format!("{name}-{w}"))
                    .spawn_scoped(scope, move || {
                        loop {
                            let next = rx.lock().map(|r| r.recv());
                            let Ok(Ok(item)) = next else { break };
                            if tx.send(work(&item)).is_err() {
                                break;
                            }
                        }
                    })
                    .map_err(|e| CleanError::Io(format!("cannot start a {name} thread: {e}")))?;
            }
            drop(done_tx);
            let (mut sent, mut received) = (0usize, 0usize);
            let mut waiting: Vec<D> = Vec::new();
            let mut queue = items.iter().peekable();
            loop {
                while sent - received < workers * 4 {
                    let Some(item) = queue.next() else { break };
                    sent += 1;
                    match prepare(ctx, item)? {
                        Prepared::Done(done) => {
                            received += 1;
                            waiting.push(done);
                        }
                        Prepared::Work(w) => work_tx.send(w).map_err(|_| stopped())?,
                    }
                }
                if received == sent && queue.peek().is_none() {
                    break;
                }
                if received < sent {
                    waiting.push(done_rx.recv().map_err(|_| stopped())?);
                    received += 1;
                }
                if waiting.len() >= batch {
                    write(ctx, &mut waiting)?;
                }
                progress.tick(received as u64)?;
            }
            drop(work_tx);
            write(ctx, &mut waiting)?;
            progress.finish(received as u64);
            Ok(received as u64)
        })
    }
}

/// Where a worker finds a media item's bytes.
pub enum Source {
    /// Embedded: the blob's bytes, read on the caller's thread.
    Bytes(Vec<u8>),
    /// A referenced file (or frame folder), read by the worker.
    File(String),
}

/// A media item for a worker.
pub struct MediaWork {
    /// The `media` row.
    pub media: i64,
    /// What it is.
    pub kind: crate::model::MediaKind,
    /// Its content hash when known (a blob's, or a file's cached by size and mtime).
    pub known: Option<String>,
    /// Its bytes.
    pub source: Source,
}

/// The content hash of `item` without reading it: its blob's hash, or a file's hash recorded for
/// the file as it is now (size and mtime).
pub fn known_content(
    store: &crate::store::Store,
    item: &crate::store::MediaItem,
) -> Result<Option<String>, CleanError> {
    Ok(match (&item.blob_hash, &item.resolved_path) {
        (Some(hash), _) => Some(hash.clone()),
        (None, Some(path)) => match file_stamp(std::path::Path::new(path)) {
            Some((size, mtime)) => store.cached_file_hash(path, size, mtime)?,
            None => None,
        },
        (None, None) => None,
    })
}

/// The work for `item` (a blob's bytes read here, a file left to the worker).
pub fn media_work(
    store: &crate::store::Store,
    item: &crate::store::MediaItem,
    known: Option<String>,
) -> Result<MediaWork, CleanError> {
    let source = match (&item.blob_hash, &item.resolved_path) {
        (Some(hash), _) => Source::Bytes(store.blob(hash)?),
        (None, Some(path)) => Source::File(path.clone()),
        (None, None) => return Err(CleanError::Invalid(format!("media {} has no bytes to read", item.id))),
    };
    Ok(MediaWork { media: item.id, kind: item.kind, known, source })
}

/// A file's size and modification time in nanoseconds (the key a file's hash is cached by).
pub fn file_stamp(path: &std::path::Path) -> Option<(u64, i64)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), i64::try_from(mtime.as_nanos()).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_prepared_worked_and_written_once_in_batches() {
        let items: Vec<u32> = (0..100).collect();
        let mut written: Vec<u64> = Vec::new();
        let mut batches = 0;
        let n = Pool { name: "test-pool", batch: 16 }
            .run(
                &items,
                &mut (&mut written, &mut batches),
                &mut Progress::silent(),
                |_, i| Ok(if i % 10 == 0 { Prepared::Done(u64::from(*i) * 2) } else { Prepared::Work(*i) }),
                |i| u64::from(*i) * 2,
                |(out, b), batch| {
                    **b += 1;
                    out.append(batch);
                    Ok(())
                },
            )
            .expect("runs");
        assert_eq!(n, 100);
        written.sort_unstable();
        assert_eq!(written, (0..100).map(|i| i * 2).collect::<Vec<u64>>());
        assert!(batches >= 100 / 16, "written in batches: {batches}");
    }
}
