//! Carrying out commands after the frame: curation on the UI's connection (an action that finds
//! a job holding the write lock waits in the deferred queue and is written when the lock is free),
//! bulk actions, undo and redo, the right panels, and opening the dialogs a command asks for.

use super::files::Picked;
use super::{Dialog, VerdictApp, jobs, refresh_panel};
use crate::store::{Actor, CurationAction, StoreError};
use crate::ui::bulk::{self, BulkDialog};
use crate::ui::commands::{BulkKind, BulkRequest, Command, ExportForm, SavedExport};
use crate::ui::export_dialog::ExportDialog;
use crate::ui::loaded::LoadedSample;
use crate::ui::settings::RightPanel;

impl VerdictApp {
    /// Carries out one command.
    pub fn run_command(&mut self, command: Command) {
        match command {
            Command::Pick(p) => {
                self.with_sample(|s| s.set_cursor(p));
                self.curate(command, &CurationAction::Pick(p));
            }
            Command::Rank(p, to) => {
                self.with_sample(|s| s.set_cursor(p));
                self.curate(command, &CurationAction::Move(p, to));
            }
            Command::RankCursor(to) => {
                let cursor = self.project.as_ref().and_then(|p| p.sample.as_ref()).map(|s| s.cursor);
                if let Some(c) = cursor {
                    self.curate(command, &CurationAction::Move(c, to));
                }
            }
            Command::Cursor(p) => self.with_sample(|s| s.set_cursor(p)),
            Command::CursorStep(forward) => self.with_sample(|s| s.step_cursor(forward)),
            Command::DiffPair(a, b) => self.with_sample(|s| s.set_diff_pair(a, b)),
            Command::EditRating(response, ref aspect) => {
                let shown =
                    self.project.as_ref().and_then(|p| p.sample.as_ref()).map(|s| s.rating_text(response, aspect));
                if let Some(value) = shown {
                    self.dialog = Dialog::Rate { response, aspect: aspect.clone(), value, error: None };
                }
            }
            Command::Rate(response, ref aspect, value) => {
                let action = CurationAction::Rate { response, aspect: aspect.clone(), value };
                self.curate(command, &action);
            }
            Command::Swap => self.curate(command, &CurationAction::Swap),
            Command::Tie => self.curate(command, &CurationAction::Tie),
            Command::BothBad => self.curate(command, &CurationAction::BothBad),
            Command::Flag(ref r) => {
                let action = CurationAction::Flag(r.clone());
                self.curate(command, &action);
            }
            Command::Unflag => self.curate(command, &CurationAction::Unflag),
            Command::SetNote(ref t) => {
                let action = CurationAction::Note(t.clone());
                self.curate(command, &action);
            }
            Command::ToggleFlag => {
                let flagged = self.project.as_ref().and_then(|p| p.sample.as_ref()).map(|s| s.state.flag.is_some());
                match flagged {
                    Some(true) => self.send(Command::Unflag),
                    Some(false) => self.dialog = Dialog::Flag { reason: String::new() },
                    None => {}
                }
            }
            Command::EditNote => {
                if let Some(s) = self.project.as_ref().and_then(|p| p.sample.as_ref()) {
                    self.dialog = Dialog::Note { text: s.state.note.clone().unwrap_or_default() };
                }
            }
            Command::Next | Command::Prev | Command::First | Command::Last | Command::Select(_) => {
                if let Some(p) = &mut self.project {
                    let last = p.list.ids.len().saturating_sub(1);
                    let cur = p.list.selected.unwrap_or(0);
                    let to = match command {
                        Command::Next => (cur + 1).min(last),
                        Command::Prev => cur.saturating_sub(1),
                        Command::First => 0,
                        Command::Last => last,
                        Command::Select(i) => i,
                        _ => cur,
                    };
                    p.list.select(to);
                    p.sync_selection();
                }
            }
            Command::Undo if self.project.as_ref().is_some_and(|p| p.cleaning.last_kept_whole.is_some()) => {
                // The last thing the curator did was to keep a group whole: Undo takes that back.
                if let Some(id) = self.project.as_mut().and_then(|p| p.cleaning.last_kept_whole.take()) {
                    self.run_clean_command(Command::ReopenGroup(id));
                }
            }
            Command::Undo | Command::Redo => self.undo_redo(command == Command::Redo),
            Command::ToggleCheatSheet => self.cheat_sheet = !self.cheat_sheet,
            Command::ChangeCurator => {
                let name = self.curator.clone().unwrap_or_else(|| self.env.user.clone().unwrap_or_default());
                self.dialog = Dialog::Curator { name, then: None };
            }
            Command::FocusQuery => self.focus_query = true,
            Command::ToggleStats => self.toggle_panel(RightPanel::Stats),
            Command::ToggleDatasets => self.toggle_panel(RightPanel::Datasets),
            Command::ToggleHistory => self.toggle_panel(RightPanel::History),
            Command::ToggleCleaning => self.toggle_panel(RightPanel::Cleaning),
            Command::ToggleSuspects => self.toggle_panel(RightPanel::Suspects),
            Command::BrowseScoreModel => self.pick_score_model(),
            Command::StartScore(request) => self.start_score(&request),
            Command::Clean(crate::ui::commands::CleanKey::PrevGroup | crate::ui::commands::CleanKey::NextGroup)
                if self.settings.right_panel == RightPanel::Suspects =>
            {
                let forward = command == Command::Clean(crate::ui::commands::CleanKey::NextGroup);
                self.suspect_step(forward);
            }
            Command::RunClean(_)
            | Command::DecideGroup(_)
            | Command::ReopenGroup(_)
            | Command::DecideQueue(_)
            | Command::Clean(_)
            | Command::Confirm(_)
            | Command::ShowSample(..) => self.run_clean_command(command),
            Command::AskRemoveDataset(id, ref name, samples) => {
                self.dialog = Dialog::RemoveDataset { id, name: name.clone(), samples };
            }
            Command::AskRelink(id, ref name) => {
                self.dialog = Dialog::Relink { id, name: name.clone(), folder: String::new(), error: None };
            }
            Command::RemoveDataset(..) | Command::Relink(..) if self.curator.is_none() => {
                // The operation names who did it, as every other change does.
                self.ask_curator(command);
            }
            Command::RemoveDataset(id, ref name) => self.dataset_job(id, name, None),
            Command::Relink(id, ref name, ref folder) => {
                let folder = folder.clone();
                self.dataset_job(id, name, Some(folder));
            }
            Command::OpenProject(Some(p)) => self.open_project(&p),
            Command::OpenProject(None) => self.pick_file(Picked::Open),
            Command::NewProject => self.pick_file(Picked::New),
            Command::Import(None) => self.pick_file(Picked::Import),
            Command::Import(Some(path)) => self.detect_then_confirm(path),
            Command::EnterPath(purpose) => {
                self.dialog = Dialog::EnterPath { purpose, path: String::new(), note: None, error: None };
            }
            Command::Export => self.open_export(),
            Command::BrowseExportFolder => self.pick_export_folder(),
            Command::StartExport(form) => self.start_export(&form),
            Command::ToggleMark(i) | Command::MarkRange(i) => {
                if let Some(p) = &mut self.project {
                    if matches!(command, Command::ToggleMark(_)) {
                        p.list.toggle_mark(i);
                    } else {
                        p.list.mark_range(i);
                    }
                    p.sync_selection();
                }
            }
            Command::MarkAll => {
                if let Some(p) = &mut self.project {
                    p.list.mark_all();
                }
            }
            Command::ClearMarks => {
                if let Some(p) = &mut self.project {
                    p.list.clear_marks();
                }
            }
            Command::Bulk(kind) => {
                if let Some(p) = &self.project {
                    let ids = p.list.marked_ids();
                    if !ids.is_empty() {
                        let query = p.query.text.clone();
                        self.dialog = Dialog::Bulk(Box::new(BulkDialog { kind, ids, query, text: String::new() }));
                    }
                }
            }
            Command::ToggleExclude => {
                let shown = self
                    .project
                    .as_ref()
                    .and_then(|p| p.sample.as_ref())
                    .map(|s| (s.view.id, s.state.excluded.is_some()));
                match shown {
                    Some((_, true)) => self.curate(command, &CurationAction::Include),
                    Some((id, false)) => {
                        self.dialog = Dialog::Bulk(Box::new(BulkDialog {
                            kind: BulkKind::Exclude,
                            ids: vec![id],
                            query: String::new(),
                            text: String::new(),
                        }));
                    }
                    None => {}
                }
            }
            Command::ApplyBulk(ref request) => self.apply_bulk(command.clone(), request),
            Command::Media(key) => {
                if let Some(sample) = self.project.as_mut().and_then(|p| p.sample.as_mut()) {
                    sample.media_key(key);
                    self.ctx.request_repaint();
                }
            }
        }
    }

    /// Opens the export dialog with the project's last choices, filtering with the query bar's text.
    fn open_export(&mut self) {
        let Some(p) = &self.project else {
            self.jobs.notify_error("Open a project first", "Export writes the open project's samples.");
            return;
        };
        if matches!(self.dialog, Dialog::Export(_)) {
            return;
        }
        let form = match self.settings.project(&p.path).and_then(|m| m.export.as_ref()) {
            Some(saved) => saved.to_form(&p.path, &p.query.text),
            None => ExportForm { query: p.query.text.clone(), ..ExportForm::new(&p.path) },
        };
        self.dialog = Dialog::Export(Box::new(ExportDialog::new(&p.path, form)));
    }

    /// Keeps the form's choices (not the filter or the replace box) for the next export.
    pub(super) fn remember_export(&mut self, form: &ExportForm) {
        if let Some(p) = &self.project {
            self.settings.project_mut(&p.path).export = Some(SavedExport::from(form));
        }
    }

    /// Opens the right-hand `panel`, or closes it when it is the one open; a panel that shows
    /// figures of the whole project reads them (again) as it opens.
    fn toggle_panel(&mut self, panel: RightPanel) {
        let open = if self.settings.right_panel == panel { RightPanel::Hidden } else { panel };
        self.settings.right_panel = open;
        if let Some(p) = &mut self.project {
            refresh_panel(p, open, &self.ctx);
        }
    }

    /// Runs `f` on the sample shown, when there is one.
    fn with_sample(&mut self, f: impl FnOnce(&mut LoadedSample)) {
        if let Some(s) = self.project.as_mut().and_then(|p| p.sample.as_mut()) {
            f(s);
        }
    }

    /// Asks the curator's name (starting from `$USER`), then runs `command`.
    pub(super) fn ask_curator(&mut self, command: Command) {
        let name = self.env.user.clone().unwrap_or_default();
        self.dialog = Dialog::Curator { name, then: Some(Box::new(command)) };
    }

    fn curate(&mut self, command: Command, action: &CurationAction) {
        if self.curator.is_none() {
            self.ask_curator(command);
            return;
        }
        let Some(id) = self.project.as_ref().and_then(|p| p.list.selected_id()) else { return };
        if !self.deferred.is_empty() {
            // After the ones still waiting, in the order they were made.
            self.deferred.push((id, action.clone()));
            return;
        }
        self.write_curation(id, action, true);
    }

    fn apply_bulk(&mut self, command: Command, request: &BulkRequest) {
        let Some(curator) = self.curator.clone() else {
            self.ask_curator(command);
            return;
        };
        let Some(p) = &mut self.project else { return };
        let actor = Actor::new(curator.as_str(), "app");
        if request.ids.len() >= bulk::JOB_THRESHOLD {
            // An edit since a group was kept whole: Undo is the edit's now.
            p.cleaning.last_kept_whole = None;
            jobs::bulk(&mut self.jobs, p.path.clone(), actor, request.clone());
            p.list.clear_marks();
            return;
        }
        let query = Some(request.query.as_str()).filter(|q| !q.trim().is_empty());
        match p.store.curate(&actor, &request.ids, &request.action, query, &mut crate::jobs::Progress::silent()) {
            Ok(done) => {
                p.apply_changes(&done.changes, Some(&curator));
                if request.ids.len() > 1 {
                    p.list.clear_marks();
                    self.jobs.notify(&format!(
                        "{}: {}",
                        request.action.name().replace('_', " "),
                        bulk::describe(&done)
                    ));
                } else if let Some(s) = done.skipped.first() {
                    self.jobs.notify(&format!("#{}: {}", request.ids[0], s.reason));
                }
            }
            Err(e) if e.is_busy() => {
                self.jobs.notify("A job is writing to the project: nothing changed; apply it again when the job ends");
            }
            Err(e) => self.jobs.notify_error(&format!("{}: not done", request.action.name()), &e.to_string()),
        }
    }

    fn undo_redo(&mut self, redo: bool) {
        let Some(curator) = self.curator.clone() else {
            self.jobs.notify(if redo { "Nothing to redo" } else { "Nothing to undo" });
            return;
        };
        let Some(p) = &mut self.project else { return };
        let actor = Actor::new(curator.as_str(), "app");
        let target = if redo { p.undo_redo.1.as_ref() } else { p.undo_redo.0.as_ref() };
        if let Some(t) = target.filter(|t| t.samples as usize >= bulk::JOB_THRESHOLD) {
            jobs::undo(&mut self.jobs, p.path.clone(), actor, t.id, redo);
            return;
        }
        let done = if redo { p.store.redo(&actor, None) } else { p.store.undo(&actor, None) };
        match done {
            Ok(undone) => {
                // Show the sample it changed when it was one.
                if let [id] = undone.changes.samples[..]
                    && let Some(i) = p.list.ids.iter().position(|x| *x == id)
                {
                    p.list.select(i);
                    p.sync_selection();
                }
                p.apply_changes(&undone.changes, Some(&curator));
                if undone.conflicts_total == 0 {
                    self.jobs.notify(&undone.describe(redo));
                } else {
                    // The samples a later change kept, each with that change, in the details.
                    let detail: Vec<String> = undone.conflicts.iter().map(ToString::to_string).collect();
                    self.jobs.notify_error(&undone.describe(redo), &detail.join("\n"));
                }
            }
            Err(StoreError::Refused(why)) => {
                // A refused undo may have marked its edit as one that cannot be undone (passed
                // over from now on): what Undo offers next changes.
                p.refresh_undo_redo(Some(&curator));
                self.jobs.notify(&why);
            }
            Err(e) if e.is_busy() => {
                self.jobs.notify("A job is writing to the project: nothing changed; undo or redo again when it ends");
            }
            Err(e) => self.jobs.notify_error(if redo { "Redo failed" } else { "Undo failed" }, &e.to_string()),
        }
    }
}
