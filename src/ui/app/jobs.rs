//! The jobs the app starts: each runs on its own connection to the project (jobs never write on
//! the UI's), reports progress to the jobs panel and leaves a notification. An export, an import,
//! a dataset removed or relinked, a large bulk action and its undo, the cleaning passes and a large
//! decision over a cleaning queue.

use super::{Dialog, VerdictApp};
use crate::clean::CleanError;
use crate::clean::decide::Decision;
use crate::ingest::{ImportOptions, IngestError, import_file};
use crate::model::words::plural;
use crate::store::{Actor, StoreError};
use crate::ui::bulk;
use crate::ui::commands::{BulkRequest, CleanPass, ExportForm, FolderState, target_title};
use crate::ui::export_dialog::report;
use crate::ui::jobs_panel::{JobOutcome, JobsPanel};
use std::path::PathBuf;

impl VerdictApp {
    /// Starts the export as a job; the dialog closes when it started and says why when it did not.
    pub(super) fn start_export(&mut self, form: &ExportForm) {
        let Some(p) = &self.project else { return };
        let project = p.path.clone();
        // The folder as it is now: the dialog's last look may be a poll old.
        let problem = form.start_problem(&project, &FolderState::of(form.out_path(&project).as_deref()));
        if let Some(problem) = problem {
            match &mut self.dialog {
                Dialog::Export(d) => d.note = Some(problem),
                _ => self.jobs.notify_error("Export: not started", &problem),
            }
            return;
        }
        let options = form.options(&project);
        let title = format!("Export {}", target_title(form.target));
        let job_title = title.clone();
        let target = form.target;
        self.jobs.spawn_on(&title, project, move |store, progress| {
            match crate::export::run(store, &options, progress) {
                Ok(report) => {
                    let (summary, detail) = report::describe_report(&job_title, target, &report);
                    JobOutcome::Report { summary, detail }
                }
                Err(crate::export::ExportError::Cancelled) => JobOutcome::Cancelled("Nothing was written.".into()),
                Err(e) => JobOutcome::Failed { summary: "failed".into(), detail: e.to_string() },
            }
        });
        self.remember_export(form);
        if matches!(self.dialog, Dialog::Export(_)) {
            self.dialog = Dialog::None;
        }
    }

    /// Removes a dataset (`relink` `None`) or points its media at a folder, as a job on its own
    /// connection; the app refreshes when the project's data version moves.
    pub(super) fn dataset_job(&mut self, id: crate::model::DatasetId, name: &str, relink: Option<PathBuf>) {
        let Some(p) = &self.project else { return };
        let project = p.path.clone();
        let Some(curator) = self.curator.clone() else { return };
        let actor = Actor::new(curator, "app");
        let title = match &relink {
            None => format!("Remove dataset {name}"),
            Some(_) => format!("Relink the media of {name}"),
        };
        self.jobs.spawn_on(&title, project, move |store, progress| match relink {
            None => match store.remove_dataset(&actor, id, progress) {
                Ok(r) => JobOutcome::Done(format!(
                    "removed {} and {} embedded media no other sample used",
                    crate::model::words::plural(r.samples, "sample"),
                    r.blobs
                )),
                Err(crate::store::StoreError::Cancelled) => JobOutcome::Cancelled("Nothing was removed.".into()),
                Err(e) => JobOutcome::Failed { summary: "not removed".into(), detail: e.to_string() },
            },
            Some(folder) => match crate::ingest::relink::relink_media(store, &actor, id, &folder, progress) {
                Ok(s) => JobOutcome::Done(format!(
                    "{} of {} media found in {} ({} unreadable, {} not there)",
                    s.found,
                    s.media,
                    folder.display(),
                    s.failed,
                    s.missing
                )),
                Err(IngestError::Cancelled) => JobOutcome::Cancelled("Nothing was changed.".into()),
                Err(e) => JobOutcome::Failed { summary: "not relinked".into(), detail: e.to_string() },
            },
        });
    }

    pub(super) fn start_import(&mut self, file: PathBuf, options: ImportOptions) {
        let Some(p) = &self.project else { return };
        let project = p.path.clone();
        let title =
            format!("Import {}", file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        self.jobs.spawn_on(&title, project, move |store, progress| {
            // A Hugging Face save_to_disk folder stands for the Arrow files its state.json lists.
            let files = match crate::ingest::dataset_files(&file) {
                Ok(f) => f,
                Err(e) => return JobOutcome::Failed { summary: "failed".into(), detail: e.to_string() },
            };
            let mut lines = Vec::new();
            for f in &files {
                match import_file(store, f, &options, progress) {
                    Ok(s) => lines.push(import_line(f, &s, files.len() > 1)),
                    Err(IngestError::Cancelled) => {
                        return JobOutcome::Cancelled(
                            "The rows imported so far are kept; import the file again to resume.".into(),
                        );
                    }
                    Err(e) => return JobOutcome::Failed { summary: "failed".into(), detail: e.to_string() },
                }
            }
            JobOutcome::Done(lines.join("; "))
        });
    }
}

/// What an import did, in one line: "12 samples added from 12 rows (0 errors, 1 warning)".
fn import_line(file: &std::path::Path, s: &crate::ingest::ImportSummary, named: bool) -> String {
    let name = if named {
        format!("{}: ", file.file_name().map(|n| n.to_string_lossy()).unwrap_or_default())
    } else {
        String::new()
    };
    let what = match s.outcome {
        crate::ingest::ImportOutcome::AlreadyImported => return format!("{name}already imported, nothing added"),
        crate::ingest::ImportOutcome::Appended { .. } => "the file grew: ",
        _ => "",
    };
    format!(
        "{name}{what}{} added from {} ({}, {})",
        crate::model::words::plural(s.samples_added, "sample"),
        crate::model::words::plural(s.rows_read, "row"),
        crate::model::words::plural(s.errors, "error"),
        crate::model::words::plural(s.warnings, "warning")
    )
}

/// Runs a confirmed bulk action as a job on its own connection; the app refreshes when the
/// project's data version moves.
pub(super) fn bulk(jobs: &mut JobsPanel, project: PathBuf, actor: Actor, request: BulkRequest) {
    let title =
        format!("{} {}", request.action.name().replace('_', " "), crate::ui::shared::samples(request.ids.len()));
    jobs.spawn_on(&title, project, move |store, progress| {
        match store.curate(&actor, &request.ids, &request.action, Some(&request.query), progress) {
            Ok(done) => JobOutcome::Done(bulk::describe(&done)),
            Err(StoreError::Cancelled) => JobOutcome::Cancelled("Nothing was changed.".into()),
            Err(e) => JobOutcome::Failed { summary: "failed: nothing was changed".into(), detail: e.to_string() },
        }
    });
}

/// Undoes (or redoes) the curator's large operation `op` as a job on its own connection, as the
/// bulk action was done: the list follows when the project's data version moves. Its outcome names
/// the action and its samples ("Undo #5: Undid exclude (duplicate) on 2,500 samples").
pub(super) fn undo(jobs: &mut JobsPanel, project: PathBuf, actor: Actor, op: crate::model::OpId, redo: bool) {
    let title = format!("{} #{op}", if redo { "Redo" } else { "Undo" });
    jobs.spawn_on(&title, project, move |store, _progress| {
        let done = if redo { store.redo(&actor, None) } else { store.undo(&actor, None) };
        match done {
            Ok(u) => JobOutcome::Done(u.describe(redo)),
            Err(e) => JobOutcome::Failed { summary: "not done".into(), detail: e.to_string() },
        }
    });
}

/// Whether a job with this title is a cleaning pass (one runs at a time).
pub(super) fn is_clean_pass(title: &str) -> bool {
    title == CleanPass::Check.title()
        || title == CleanPass::Dedup(crate::ui::commands::DedupRequest::default()).title()
        || title.starts_with("Contamination by ")
}

/// Runs a cleaning pass as a job on its own connection. A cancelled pass keeps what it stored
/// (fingerprints, decode verdicts) and replaces no results.
pub(super) fn clean_pass(jobs: &mut JobsPanel, project: PathBuf, pass: CleanPass) {
    let title = pass.title();
    jobs.spawn_on(&title, project, move |store, progress| {
        let failed = |e: CleanError| JobOutcome::Failed { summary: "failed".into(), detail: e.to_string() };
        match pass {
            CleanPass::Dedup(request) => match crate::clean::dedup::run(store, &request.options(), progress) {
                Ok(report) => JobOutcome::Done(dedup_line(&report)),
                Err(CleanError::Cancelled) => JobOutcome::Cancelled(
                    "The fingerprints made so far are kept; the groups are those of the last complete pass.".into(),
                ),
                Err(e) => failed(e),
            },
            CleanPass::Check => {
                match crate::clean::checks::run(store, &crate::clean::checks::CheckOptions::default(), progress) {
                    Ok(report) => JobOutcome::Done(check_line(&report)),
                    Err(CleanError::Cancelled) => JobOutcome::Cancelled(
                        "The decodes made so far are kept; the findings are those of the last complete check.".into(),
                    ),
                    Err(e) => failed(e),
                }
            }
            CleanPass::Contamination { reference, name, settings } => {
                match crate::clean::contamination::run(store, reference, &settings.options(), progress) {
                    Ok(hits) => {
                        let mut samples: Vec<_> = hits.iter().map(|h| h.sample).collect();
                        samples.sort_unstable();
                        samples.dedup();
                        JobOutcome::Done(format!(
                            "{} of other datasets match {name} ({}); {name} is a reference set now: never exported",
                            plural(samples.len() as u64, "sample"),
                            plural(hits.len() as u64, "hit")
                        ))
                    }
                    Err(CleanError::Cancelled) => JobOutcome::Cancelled(format!(
                        "{name} stays marked as a reference set; its hits are those of the last complete comparison."
                    )),
                    Err(e) => failed(e),
                }
            }
            // Forgetting a reference set is two small writes, made on the UI's connection.
            CleanPass::Forget { .. } => JobOutcome::Done(String::new()),
        }
    });
}

/// What the duplicate passes found, in one short line (a notification):
/// "2 sample groups (3 extra samples), 2 image, 2 prompt; 7 media fingerprinted".
fn dedup_line(report: &crate::clean::dedup::DedupReport) -> String {
    // The sample kind first: it is the one excluded by default.
    let order = std::iter::once("sample").chain(crate::clean::dedup::KINDS.iter().copied().filter(|k| *k != "sample"));
    let mut parts: Vec<String> = Vec::new();
    for kind in order {
        let Some(c) = report.kinds.get(kind).filter(|c| c.groups > 0) else { continue };
        parts.push(if parts.is_empty() {
            let (groups, samples) =
                (if c.groups == 1 { "group" } else { "groups" }, if c.extra == 1 { "sample" } else { "samples" });
            format!("{} {kind} {groups} ({} extra {samples})", c.groups, c.extra)
        } else {
            format!("{} {kind}", c.groups)
        });
    }
    if parts.is_empty() {
        parts.push("no duplicates".into());
    }
    format!("{}; {} fingerprinted", parts.join(", "), plural(report.media.fingerprinted, "media item"))
}

/// What the checks found, in one line: "5 findings on 30 samples: 3 tiny image, 2 empty response".
fn check_line(report: &crate::clean::checks::CheckReport) -> String {
    let kinds: Vec<String> = report
        .counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", crate::clean::decide::finding_flag(k)))
        .collect();
    let mut line = format!("{} on {} checked", plural(report.total(), "finding"), plural(report.samples, "sample"));
    if !kinds.is_empty() {
        line.push_str(": ");
        line.push_str(&kinds.join(", "));
    }
    line
}

/// A queue decision's title: "Exclude duplicates (sample, keep first)".
pub(super) fn decision_title(decision: &Decision) -> String {
    match decision {
        Decision::Duplicates { kind, policy } => format!("Exclude duplicates ({kind}, keep {})", policy.name()),
        Decision::Contaminated => "Exclude contaminated samples".into(),
        Decision::Findings { kind } => match decision.action() {
            crate::store::CurationAction::Flag(_) => {
                format!("Flag {} findings", crate::clean::decide::finding_flag(kind))
            }
            _ => format!("Exclude {} findings", crate::clean::decide::finding_flag(kind)),
        },
    }
}

/// Runs a confirmed queue decision as a job on its own connection (one operation, one undo step;
/// cancelled, nothing changes); the app refreshes when the project's data version moves.
pub(super) fn decide_queue(jobs: &mut JobsPanel, project: PathBuf, actor: Actor, decision: Decision) {
    let title = decision_title(&decision);
    jobs.spawn_on(&title, project, move |store, progress| match decision.apply(store, &actor, progress) {
        Ok((_, done)) => JobOutcome::Done(bulk::describe(&done)),
        Err(CleanError::Cancelled | CleanError::Store(StoreError::Cancelled)) => {
            JobOutcome::Cancelled("Nothing was changed.".into())
        }
        Err(e) => JobOutcome::Failed { summary: "failed: nothing was changed".into(), detail: e.to_string() },
    });
}
