//! Running a job on its own named thread, with a shared snapshot of its progress that a front end
//! polls without blocking, and a cancel token.

use super::{CancelToken, Progress, ProgressSink, ProgressUpdate};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Where a job stands, as a front end sees it.
#[derive(Debug, Clone, Default)]
pub struct JobState {
    /// The latest progress, if any was reported.
    pub progress: Option<ProgressUpdate>,
}

#[derive(Default)]
struct SharedState(Mutex<JobState>);

impl ProgressSink for SharedState {
    fn update(&self, update: &ProgressUpdate) {
        if let Ok(mut s) = self.0.lock() {
            s.progress = Some(update.clone());
        }
    }
}

/// A job running on a background thread.
pub struct Job<T> {
    name: String,
    state: Arc<SharedState>,
    cancel: CancelToken,
    handle: Option<JoinHandle<T>>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread named `name`, with a [`Progress`] that feeds this job's state;
    /// in the app, the thread runs at a lower priority than the window's
    /// ([`super::priority::background_work_yields`]).
    pub fn spawn(name: &str, work: impl FnOnce(&mut Progress) -> T + Send + 'static) -> std::io::Result<Self> {
        let state = Arc::new(SharedState::default());
        let cancel = CancelToken::new();
        let mut progress = Progress::new(state.clone(), cancel.clone());
        let handle = std::thread::Builder::new().name(name.to_owned()).spawn(move || {
            super::priority::lower_if_asked();
            work(&mut progress)
        })?;
        Ok(Self { name: name.to_owned(), state, cancel, handle: Some(handle) })
    }

    /// The job's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The latest snapshot; never blocks on the job.
    pub fn state(&self) -> JobState {
        self.state.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Asks the job to stop at its next progress tick.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether the job's thread has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the result. `None` if the job panicked or was already joined.
    pub fn join(mut self) -> Option<T> {
        self.handle.take().and_then(|h| h.join().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::Interrupted;
    use std::time::Duration;

    #[test]
    fn a_cancelled_job_stops_and_says_so() {
        let job = Job::spawn("test-job", |p| -> Result<u64, Interrupted> {
            p.phase("counting", "items", None, 0);
            let mut i = 0;
            loop {
                p.tick(i)?;
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        })
        .expect("spawns");
        std::thread::sleep(Duration::from_millis(20));
        assert!(job.state().progress.is_some());
        job.cancel();
        assert_eq!(job.join(), Some(Err(Interrupted)));
    }

    #[test]
    fn a_finished_job_returns_its_value() {
        let job = Job::spawn("sum", |_| (1..=10).sum::<u32>()).expect("spawns");
        assert_eq!(job.join(), Some(55));
    }
}
