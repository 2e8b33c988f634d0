//! Background work: progress reporting and cancellation, shared by every long job (import,
//! probing, hashing, scoring, export).
//!
//! The core never draws anything: a job takes a [`Progress`] handle and calls [`Progress::tick`];
//! the handle throttles updates to ~10 per second, forwards them to a [`ProgressSink`] (the CLI's
//! progress bar, later the GUI's channel), and returns `Err(Interrupted)` once cancel is asked,
//! so `?` unwinds the job at a clean point.

pub mod priority;
mod runner;

pub use runner::{Job, JobState};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Returned by [`Progress::tick`] once the job was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cancelled")]
pub struct Interrupted;

/// A shared flag that asks a job to stop.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token nobody has cancelled.
    pub fn new() -> Self {
        Self::default()
    }
    /// Asks the job to stop at its next tick.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    /// Whether cancel was asked.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A snapshot of a job's progress.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressUpdate {
    /// What the job is doing now (`hashing`, `importing`).
    pub phase: String,
    /// Units done.
    pub done: u64,
    /// Units in all, when known.
    pub total: Option<u64>,
    /// What a unit is (`rows`, `bytes`).
    pub unit: &'static str,
    /// Units per second since the phase started.
    pub rate: f64,
    /// Estimated time left, when the total is known and the rate is positive.
    pub eta: Option<Duration>,
}

/// Where progress goes: the CLI's progress bar, the GUI's channel, or nowhere.
pub trait ProgressSink: Send + Sync {
    /// Called at most ~10 times a second, and once at the end of each phase.
    fn update(&self, update: &ProgressUpdate);
}

/// A sink that drops every update.
pub struct NoProgress;

impl ProgressSink for NoProgress {
    fn update(&self, _: &ProgressUpdate) {}
}

/// A job's handle on its progress and cancellation.
pub struct Progress {
    sink: Arc<dyn ProgressSink>,
    cancel: CancelToken,
    phase: String,
    unit: &'static str,
    total: Option<u64>,
    started: Instant,
    last_sent: Option<Instant>,
    start_done: u64,
}

const MIN_INTERVAL: Duration = Duration::from_millis(100);

impl Progress {
    /// A handle reporting to `sink` and watching `cancel`.
    pub fn new(sink: Arc<dyn ProgressSink>, cancel: CancelToken) -> Self {
        Self {
            sink,
            cancel,
            phase: String::new(),
            unit: "items",
            total: None,
            started: Instant::now(),
            last_sent: None,
            start_done: 0,
        }
    }

    /// A handle that reports nowhere and is never cancelled.
    pub fn silent() -> Self {
        Self::new(Arc::new(NoProgress), CancelToken::new())
    }

    /// The cancel token this handle watches.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.cancel
    }

    /// Starts a new phase; `start_done` is where counting resumes (rows already imported).
    pub fn phase(&mut self, phase: &str, unit: &'static str, total: Option<u64>, start_done: u64) {
        phase.clone_into(&mut self.phase);
        self.unit = unit;
        self.total = total;
        self.started = Instant::now();
        self.last_sent = None;
        self.start_done = start_done;
        self.send(start_done);
    }

    /// Changes the phase's total (when it is an estimate that improves as the job goes).
    pub fn set_total(&mut self, total: Option<u64>) {
        self.total = total;
    }

    /// Reports `done` units; `Err(Interrupted)` if the job should stop.
    pub fn tick(&mut self, done: u64) -> Result<(), Interrupted> {
        if self.cancel.is_cancelled() {
            return Err(Interrupted);
        }
        if self.last_sent.is_none_or(|t| t.elapsed() >= MIN_INTERVAL) {
            self.send(done);
        }
        Ok(())
    }

    /// Reports `done` now, regardless of throttling (end of a phase).
    pub fn finish(&mut self, done: u64) {
        self.send(done);
    }

    fn send(&mut self, done: u64) {
        self.last_sent = Some(Instant::now());
        let secs = self.started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 { done.saturating_sub(self.start_done) as f64 / secs } else { 0.0 };
        let eta = match self.total {
            Some(total) if rate > 0.0 && total >= done => Some(Duration::from_secs_f64((total - done) as f64 / rate)),
            _ => None,
        };
        self.sink.update(&ProgressUpdate {
            phase: self.phase.clone(),
            done,
            total: self.total,
            unit: self.unit,
            rate,
            eta,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<ProgressUpdate>>);
    impl ProgressSink for Recorder {
        fn update(&self, u: &ProgressUpdate) {
            self.0.lock().expect("lock").push(u.clone());
        }
    }

    #[test]
    fn tick_is_throttled_and_cancel_interrupts() {
        let rec = Arc::new(Recorder::default());
        let cancel = CancelToken::new();
        let mut p = Progress::new(rec.clone(), cancel.clone());
        p.phase("importing", "rows", Some(1000), 0);
        for i in 0..1000 {
            p.tick(i).expect("not cancelled");
        }
        // One update at phase start, at most a couple more in a tight loop.
        let n = rec.0.lock().expect("lock").len();
        assert!((1..=3).contains(&n), "{n} updates sent");
        cancel.cancel();
        assert_eq!(p.tick(1000), Err(Interrupted));
    }

    #[test]
    fn finish_always_reports_with_the_total() {
        let rec = Arc::new(Recorder::default());
        let mut p = Progress::new(rec.clone(), CancelToken::new());
        p.phase("hashing", "bytes", Some(10), 0);
        p.finish(10);
        let last = rec.0.lock().expect("lock").last().cloned().expect("an update");
        assert_eq!((last.done, last.total, last.unit), (10, Some(10), "bytes"));
    }
}
