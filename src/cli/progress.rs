//! The CLI's progress bar: an indicatif bar on stderr fed by the core's progress updates.
//! Hidden automatically when stderr is not a terminal.

use crate::jobs::{CancelToken, Progress, ProgressSink, ProgressUpdate};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::sync::Mutex;

/// A progress bar for one file.
pub struct BarSink {
    bar: ProgressBar,
    phase: Mutex<String>,
}

impl BarSink {
    /// A bar labelled with the file's name.
    pub fn new(label: &str) -> Self {
        let bar = ProgressBar::new(0);
        bar.set_prefix(label.to_owned());
        Self { bar, phase: Mutex::new(String::new()) }
    }

    /// Removes the bar.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// Runs `work` with a bar labelled `label` (removed when it returns, whatever it returns).
pub fn with_bar<T>(label: &str, work: impl FnOnce(&mut Progress) -> T) -> T {
    let sink = Arc::new(BarSink::new(label));
    let mut progress = Progress::new(sink.clone(), CancelToken::new());
    let out = work(&mut progress);
    sink.clear();
    out
}

fn style(unit: &str, known_total: bool) -> ProgressStyle {
    let template = match (unit, known_total) {
        ("bytes", _) => "{prefix} {msg:10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        (_, true) => "{prefix} {msg:10} [{bar:30}] {human_pos}/{human_len} rows {rate} ETA {eta}",
        (_, false) => "{prefix} {msg:10} {human_pos} rows {rate}",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        })
        .progress_chars("=> ")
}

impl ProgressSink for BarSink {
    fn update(&self, u: &ProgressUpdate) {
        let Ok(mut phase) = self.phase.lock() else { return };
        if *phase != u.phase {
            phase.clone_from(&u.phase);
            self.bar.set_style(style(u.unit, u.total.is_some()));
            self.bar.set_message(u.phase.clone());
            self.bar.reset();
        }
        if let Some(total) = u.total
            && self.bar.length() != Some(total)
        {
            self.bar.set_style(style(u.unit, true));
            self.bar.set_length(total.max(u.done));
        }
        self.bar.set_position(u.done);
    }
}
