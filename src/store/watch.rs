//! Notices commits to a project made by other connections (another window, the CLI, a job) on a
//! thread of its own, so that a window that is not drawing need not wake to look: the thread asks
//! its own read-only connection for `PRAGMA data_version` every interval and, when it moved, sets
//! a flag and calls `wake`. A window then draws a frame only when something changed.

use super::{Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The watching thread; stops when dropped.
pub struct CommitWatch {
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct State {
    changed: AtomicBool,
    stop: AtomicBool,
}

impl CommitWatch {
    /// Watches the project at `path`, looking every `every`; `wake` is called (from the watching
    /// thread) after each commit it notices.
    pub fn start(path: &Path, every: Duration, wake: impl Fn() + Send + 'static) -> Result<Self> {
        let sqlite = |source| StoreError::Sqlite { path: path.to_owned(), source };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        let version = |conn: &Connection| conn.pragma_query_value(None, "data_version", |r| r.get::<_, i64>(0));
        let mut seen = version(&conn).map_err(sqlite)?;
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("verdict-commit-watch".into())
            .spawn(move || {
                while !shared.stop.load(Ordering::Acquire) {
                    std::thread::park_timeout(every);
                    if shared.stop.load(Ordering::Acquire) {
                        break;
                    }
                    // A read that fails (the file locked for a moment) is tried at the next look.
                    if let Ok(now) = version(&conn)
                        && now != seen
                    {
                        seen = now;
                        shared.changed.store(true, Ordering::Release);
                        wake();
                    }
                }
            })
            .map_err(|e| StoreError::Refused(format!("cannot start the thread that watches for commits: {e}")))?;
        Ok(Self { state, thread: Some(thread) })
    }

    /// Whether a commit was noticed since the last call.
    pub fn take(&self) -> bool {
        self.state.changed.swap(false, Ordering::AcqRel)
    }
}

impl Drop for CommitWatch {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;
    use std::sync::mpsc;

    #[test]
    fn another_connections_commit_wakes_and_is_taken_once() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("p.verdict");
        let store = Store::open(&path).expect("a project");
        let (tx, rx) = mpsc::channel();
        let watch = CommitWatch::start(&path, Duration::from_millis(20), move || {
            let _ = tx.send(());
        })
        .expect("the watch starts");
        // Nothing committed: no wake.
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        assert!(!watch.take());
        store.conn.execute_batch("CREATE TABLE watched (x); INSERT INTO watched VALUES (1);").expect("a commit");
        rx.recv_timeout(Duration::from_secs(10)).expect("woken after the commit");
        assert!(watch.take());
        assert!(!watch.take(), "taken once");
        // Dropping it stops the thread at once, not after its interval.
        let slow = CommitWatch::start(&path, Duration::from_hours(1), || {}).expect("starts");
        let started = std::time::Instant::now();
        drop(slow);
        assert!(started.elapsed() < Duration::from_mins(1), "stopped without waiting out the hour");
    }

    #[test]
    fn a_missing_project_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("none.verdict");
        let err = CommitWatch::start(&path, Duration::from_millis(20), || {}).err().expect("no such file");
        assert!(err.to_string().contains("none.verdict"), "{err}");
    }
}
