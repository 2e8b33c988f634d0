//! A value a panel reads off the UI thread: started on a named thread with its own connection,
//! picked up by `poll` when it arrives, kept until it is read again. The statistics and the
//! Datasets panel show theirs through it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

/// The last value read (or why it could not be), and the read under way.
pub struct Background<T> {
    value: Option<Result<T, String>>,
    pending: Option<Receiver<Result<T, String>>>,
}

impl<T> Default for Background<T> {
    fn default() -> Self {
        Self { value: None, pending: None }
    }
}

impl<T: Send + 'static> Background<T> {
    /// Starts `read` on the project at `project` on thread `name`, replacing any read under way;
    /// `wake` repaints when it is done.
    pub fn start<E: std::fmt::Display>(
        &mut self,
        name: &str,
        project: &Path,
        read: impl FnOnce(&Path) -> Result<T, E> + Send + 'static,
        wake: impl Fn() + Send + 'static,
    ) {
        let (tx, rx) = sync_channel(1);
        let path: PathBuf = project.to_owned();
        let spawned = std::thread::Builder::new().name(name.into()).spawn(move || {
            let _ = tx.send(read(&path).map_err(|e| e.to_string()));
            wake();
        });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => self.value = Some(Err(e.to_string())),
        }
    }

    /// Picks up a finished read.
    pub fn poll(&mut self) {
        if let Some(rx) = &self.pending
            && let Ok(result) = rx.try_recv()
        {
            self.value = Some(result);
            self.pending = None;
        }
    }

    /// Whether a read is under way.
    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    /// Whether a value was ever asked for.
    pub fn is_loaded_or_loading(&self) -> bool {
        self.value.is_some() || self.pending.is_some()
    }

    /// The value read last: `None` before the first read has answered.
    pub fn value(&self) -> Option<&Result<T, String>> {
        self.value.as_ref()
    }
}
