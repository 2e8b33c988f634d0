//! Curation changes that wait for a job's write lock. The UI's connection waits at most 30 ms for
//! another connection's write lock, so that a job writing the project never freezes the window: a
//! change that finds the lock taken joins the deferred queue, is tried again a few times a second
//! and is written, in order, once the lock is free. Nothing in the queue is dropped silently:
//! opening another project tries once more and names what it could not write, and closing the
//! window while changes wait asks "N changes are waiting for a job to finish writing": Wait (the
//! job's progress is shown and the window closes once they are written) or Discard; Esc keeps
//! the window open. eframe hands a close to the app as a close request in the root viewport's
//! input, which `CancelClose` turns down.

use super::VerdictApp;
use crate::model::words;
use crate::store::{Actor, CurationAction, StoreError};
use crate::ui::shared::enter_submits;
use egui::ViewportCommand;

/// Where a close of the window stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Closing {
    /// The window is not closing.
    #[default]
    No,
    /// The window was asked to close while changes wait: Wait or Discard?
    Asking,
    /// The curator chose to wait: the window closes once the changes are written.
    Waiting,
}

impl VerdictApp {
    /// Curation actions waiting for a job to let go of the write lock.
    pub fn deferred_count(&self) -> usize {
        self.deferred.len()
    }

    /// Writes one curation action on the UI's connection; while a job holds the write lock it
    /// waits (in `deferred`, said once when `first_try`) instead of freezing the window. Returns
    /// whether it is done with (written, or failed for good).
    pub(super) fn write_curation(
        &mut self,
        id: crate::model::SampleId,
        action: &CurationAction,
        first_try: bool,
    ) -> bool {
        let Some(curator) = self.curator.clone() else { return false };
        let Some(p) = &mut self.project else { return false };
        match p.store.apply(&Actor::new(curator.as_str(), "app"), id, action) {
            Ok(changes) => {
                p.apply_changes(&changes, Some(&curator));
                true
            }
            Err(e) if e.is_busy() => {
                if first_try {
                    self.jobs.notify(&format!(
                        "A job is writing to the project: {} on #{id} is saved as soon as it lets go",
                        action.name().replace('_', " ")
                    ));
                }
                self.deferred.insert(0, (id, action.clone()));
                self.deferred_tried = std::time::Instant::now();
                false
            }
            // An action that does not apply (no candidate D, nothing to swap) is said, not an error.
            Err(StoreError::Refused(why)) => {
                self.jobs.notify(&why);
                true
            }
            Err(e) => {
                let what = action.name().replace('_', " ");
                self.jobs.notify_error(&format!("{what} on #{id}: not done"), &e.to_string());
                true
            }
        }
    }

    /// Tries the deferred curation actions again, a few times a second, oldest first.
    pub(super) fn retry_deferred(&mut self) {
        const EVERY: std::time::Duration = std::time::Duration::from_millis(250);
        if self.deferred.is_empty() {
            return;
        }
        self.ctx.request_repaint_after(EVERY);
        if self.deferred_tried.elapsed() < EVERY {
            return;
        }
        self.try_deferred_now();
    }

    /// Tries the deferred curation actions, oldest first, until one finds the lock taken.
    fn try_deferred_now(&mut self) {
        self.deferred_tried = std::time::Instant::now();
        while !self.deferred.is_empty() {
            let (id, action) = self.deferred.remove(0);
            if !self.write_curation(id, &action, false) {
                return;
            }
        }
    }

    /// Before another project replaces the open one: the waiting changes get one last try (the
    /// lock may be free now), and what still cannot be written is said, not carried over.
    pub(super) fn write_deferred_or_drop(&mut self) {
        self.try_deferred_now();
        if !self.deferred.is_empty() {
            let lost: Vec<String> =
                self.deferred.drain(..).map(|(id, a)| format!("{} on #{id}", a.name().replace('_', " "))).collect();
            self.jobs.notify_error(
                "Not written: a job still held the project's write lock when another project was opened",
                &lost.join("\n"),
            );
        }
    }

    /// Each frame, before drawing: a close request while changes wait is turned down (after one
    /// more try, the lock may be free) and the question asked; once nothing waits any more, a
    /// close that was held back goes on.
    pub(super) fn poll_closing(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.deferred.is_empty() {
            self.try_deferred_now();
            if !self.deferred.is_empty() {
                ctx.send_viewport_cmd(ViewportCommand::CancelClose);
                self.closing = Closing::Asking;
                return;
            }
        }
        if self.closing != Closing::No && self.deferred.is_empty() {
            self.closing = Closing::No;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    /// Whether the window is held open by changes waiting to be written (the question shows).
    pub fn is_closing(&self) -> bool {
        self.closing != Closing::No
    }

    /// The question while the window waits to close: what waits, the jobs' progress (with
    /// Cancel), Wait and Discard.
    pub(super) fn closing_ui(&mut self, ctx: &egui::Context) {
        if self.closing == Closing::No {
            return;
        }
        let waiting = self.closing == Closing::Waiting;
        let enter = enter_submits(ctx, &[]);
        let n = self.deferred.len();
        let mut what: Vec<String> =
            self.deferred.iter().take(5).map(|(id, a)| format!("{} on #{id}", a.name().replace('_', " "))).collect();
        if n > what.len() {
            what.push(format!("and {} more", n - what.len()));
        }
        let (mut wait, mut discard) = (false, false);
        let jobs = &mut self.jobs;
        let r = egui::Modal::new(egui::Id::unique("closing")).show(ctx, |ui| {
            ui.set_width(440.0);
            ui.heading("Close Verdict?");
            ui.label(format!(
                "{} waiting for a job to finish writing.",
                words::count(n as u64, "change is", "changes are")
            ));
            ui.weak(what.join(", "));
            ui.add_space(4.0);
            if jobs.running.is_empty() {
                // Not one of this window's jobs: the command line, a job of another window.
                ui.label("Another connection holds the project's write lock (the command line, another window).");
            } else {
                jobs.jobs_ui(ui);
            }
            if waiting {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Waiting: the window closes once they are written.");
                });
            }
            ui.horizontal(|ui| {
                if !waiting {
                    wait = ui.button("Wait").on_hover_text("Write them when the job lets go, then close").clicked()
                        || enter;
                }
                discard = ui.button("Discard").on_hover_text("Close without writing them").clicked();
                ui.weak(if waiting { "Esc keeps the window open" } else { "Enter waits · Esc keeps the window open" });
            });
        });
        if discard {
            self.deferred.clear();
            self.closing = Closing::No;
            ctx.send_viewport_cmd(ViewportCommand::Close);
        } else if wait {
            self.closing = Closing::Waiting;
        } else if r.should_close() {
            // Esc: the window stays open, and the changes keep waiting for the lock.
            self.closing = Closing::No;
        }
    }

    /// After the window closed (eframe's `on_exit`): a last try, and what still waits is said on
    /// stderr. Only a close that bypassed the question leaves anything here.
    pub(super) fn write_deferred_at_exit(&mut self) {
        self.try_deferred_now();
        for (id, action) in &self.deferred {
            eprintln!(
                "not written: {} on #{id} (a job still held the project's write lock)",
                action.name().replace('_', " ")
            );
        }
    }
}
