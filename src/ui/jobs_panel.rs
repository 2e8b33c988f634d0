//! Background jobs as the curator sees them: each with its progress and a cancel button, and the
//! notifications they leave when they end (a failure keeps its detail one click away).

use crate::jobs::{Job, Progress};
use crate::store::Store;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How a job ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// It did its work; a one-line summary.
    Done(String),
    /// It did its work; a one-line summary, and a report kept one click away (the notification
    /// stays until closed).
    Report {
        /// One line.
        summary: String,
        /// The whole report.
        detail: String,
    },
    /// The curator cancelled it (not an error); what was kept.
    Cancelled(String),
    /// It failed: one line, and the full detail.
    Failed {
        /// One line.
        summary: String,
        /// Everything known.
        detail: String,
    },
}

/// A running job.
pub struct JobEntry {
    /// What it is (`Import rlaif.parquet`).
    pub title: String,
    job: Job<JobOutcome>,
    started: Instant,
}

impl JobEntry {
    /// Its progress in words (phase, count, unit), for status lines and tests.
    pub fn state_text(&self) -> String {
        match self.job.state().progress {
            Some(p) => format!("{} {} {}", p.phase, p.done, p.unit),
            None => "starting".into(),
        }
    }
}

/// A message a finished job left.
#[derive(Debug, Clone)]
pub struct Notification {
    /// One line.
    pub text: String,
    /// Detail shown on request.
    pub detail: Option<String>,
    /// Drawn as an error.
    pub is_error: bool,
    /// Stays until closed (errors always do).
    pub sticky: bool,
    id: u64,
    at: Instant,
}

/// Success messages disappear after this long; failures stay until closed.
const TOAST_SECONDS: u64 = 8;

/// All jobs and notifications.
#[derive(Default)]
pub struct JobsPanel {
    /// Running jobs.
    pub running: Vec<JobEntry>,
    /// Messages, newest last.
    pub notifications: Vec<Notification>,
    /// The notification whose detail window is open (by id: older toasts expire meanwhile).
    detail_open: Option<u64>,
    next_id: u64,
}

impl JobsPanel {
    /// Starts `work` as a background job.
    pub fn spawn(&mut self, title: &str, work: impl FnOnce(&mut Progress) -> JobOutcome + Send + 'static) {
        match Job::spawn("job", work) {
            Ok(job) => self.running.push(JobEntry { title: title.to_owned(), job, started: Instant::now() }),
            Err(e) => self.notify_error(&format!("{title}: could not start"), &e.to_string()),
        }
    }

    /// Runs `work` as a job with its own connection to the project at `project` (jobs never write
    /// on the UI's); a project that cannot be opened fails the job with the reason.
    pub fn spawn_on(
        &mut self,
        title: &str,
        project: PathBuf,
        work: impl FnOnce(&mut Store, &mut Progress) -> JobOutcome + Send + 'static,
    ) {
        self.spawn(title, move |progress| match Store::open(&project) {
            Ok(mut store) => work(&mut store, progress),
            Err(e) => JobOutcome::Failed { summary: "cannot open the project".into(), detail: e.to_string() },
        });
    }

    fn push(&mut self, text: &str, detail: Option<&str>, is_error: bool, sticky: bool) {
        self.next_id += 1;
        self.notifications.push(Notification {
            text: text.to_owned(),
            detail: detail.map(str::to_owned),
            is_error,
            sticky: sticky || is_error,
            id: self.next_id,
            at: Instant::now(),
        });
    }

    /// Adds an error notification.
    pub fn notify_error(&mut self, text: &str, detail: &str) {
        self.push(text, Some(detail), true, true);
    }

    /// Adds an information notification.
    pub fn notify(&mut self, text: &str) {
        self.push(text, None, false, false);
    }

    /// Adds a notification with a report behind a Details button; it stays until closed.
    pub fn notify_report(&mut self, text: &str, detail: &str) {
        self.push(text, Some(detail), false, true);
    }

    /// Collects finished jobs into notifications; returns how many finished.
    pub fn poll(&mut self) -> usize {
        let (done, running): (Vec<JobEntry>, Vec<JobEntry>) =
            std::mem::take(&mut self.running).into_iter().partition(|j| j.job.is_finished());
        self.running = running;
        let n = done.len();
        for entry in done {
            let outcome = entry.job.join().unwrap_or_else(|| JobOutcome::Failed {
                summary: "the job stopped unexpectedly".into(),
                detail: "its thread panicked; see the terminal for the message".into(),
            });
            match outcome {
                JobOutcome::Done(s) => self.notify(&format!("{}: {s}", entry.title)),
                JobOutcome::Report { summary, detail } => {
                    self.notify_report(&format!("{}: {summary}", entry.title), &detail);
                }
                JobOutcome::Cancelled(s) => self.notify(&format!("{}: cancelled. {s}", entry.title)),
                JobOutcome::Failed { summary, detail } => {
                    self.notify_error(&format!("{}: {summary}", entry.title), &detail);
                }
            }
        }
        self.notifications.retain(|n| n.sticky || n.at.elapsed() < Duration::from_secs(TOAST_SECONDS));
        n
    }

    /// Whether anything needs the UI to keep repainting (a job, a toast that will expire).
    pub fn is_busy(&self) -> bool {
        !self.running.is_empty() || self.notifications.iter().any(|n| !n.sticky)
    }

    /// The jobs list: progress bars with cancel buttons.
    pub fn jobs_ui(&mut self, ui: &mut egui::Ui) {
        if self.running.is_empty() {
            ui.weak("No jobs running.");
            return;
        }
        for entry in &self.running {
            let state = entry.job.state();
            ui.horizontal(|ui| {
                ui.label(&entry.title);
                match &state.progress {
                    Some(p) => {
                        let fraction = p.total.filter(|t| *t > 0).map(|t| p.done as f32 / t as f32);
                        let text = match p.eta {
                            Some(eta) => {
                                format!("{} {} {} · {:.0}/s · {}s left", p.phase, p.done, p.unit, p.rate, eta.as_secs())
                            }
                            None => format!("{} {} {} · {:.0}/s", p.phase, p.done, p.unit, p.rate),
                        };
                        let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0)).text(text).desired_width(260.0);
                        ui.add(if fraction.is_none() { bar.animate(true) } else { bar });
                    }
                    None => {
                        // The same width as the bar that follows, so Cancel does not move under the pointer.
                        let text = format!("starting · {}s", entry.started.elapsed().as_secs());
                        ui.add(egui::ProgressBar::new(0.0).text(text).desired_width(260.0).animate(true));
                    }
                }
                if ui.button("Cancel").clicked() {
                    entry.job.cancel();
                }
            });
        }
    }

    /// Notifications in the bottom-right corner; errors have a Details button.
    pub fn toasts_ui(&mut self, ctx: &egui::Context) {
        let mut close = None;
        if !self.notifications.is_empty() {
            // At most 460 wide, and never wider than the window (a window manager may let it be
            // narrower than the app's minimum; the toast then cut its text off at the left).
            let width = 460f32.min(ctx.content_rect().width() - 24.0).max(160.0);
            egui::Area::new(egui::Id::unique("toasts"))
                .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
                .show(ctx, |ui| {
                    for n in &self.notifications {
                        egui::Frame::popup(ui.style()).show(ui, |ui| {
                            ui.set_max_width(width);
                            // Buttons on the right, the text wrapping in what is left.
                            ui.with_layout(egui::Layout::right_to_left(egui::Align::TOP), |ui| {
                                if ui.small_button("×").clicked() {
                                    close = Some(n.id);
                                }
                                if n.detail.is_some() && ui.small_button("Details").clicked() {
                                    self.detail_open = Some(n.id);
                                }
                                let color =
                                    if n.is_error { ui.visuals().error_fg_color } else { ui.visuals().text_color() };
                                let text = egui::RichText::new(&n.text).color(color);
                                ui.add(egui::Label::new(text).wrap().halign(egui::Align::LEFT));
                            });
                        });
                    }
                });
        }
        if let Some(id) = self.detail_open {
            let mut open = true;
            let shown = self.notifications.iter().find(|n| n.id == id);
            if let Some(n) = shown {
                egui::Window::new("Details").open(&mut open).collapsible(false).show(ctx, |ui| {
                    ui.label(&n.text);
                    ui.separator();
                    egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| {
                        ui.add(
                            egui::Label::new(egui::RichText::new(n.detail.as_deref().unwrap_or("")).monospace())
                                .selectable(true),
                        );
                    });
                });
            }
            if !open || shown.is_none() {
                self.detail_open = None;
            }
        }
        if let Some(id) = close {
            self.notifications.retain(|n| n.id != id);
            if self.detail_open == Some(id) {
                self.detail_open = None;
            }
        }
    }
}
