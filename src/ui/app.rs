//! The application: menus, query bar, list, sample view, side panels, dialogs and the command
//! loop. Panels emit [`Command`]s while drawing; [`VerdictApp::run_command`] carries them out
//! after the frame. Persisted state lives in [`Settings`]; everything else is runtime state.

use super::bulk::BulkDialog;
use super::commands::{self, BulkKind, BulkRequest, Command, PathFor};
use super::commands::{ExportForm, FolderState, SavedExport, target_title};
use super::export_dialog::ExportDialog;
use super::jobs_panel::{JobOutcome, JobsPanel};
use super::project::Project;
use super::sample_view::sample_ui;
use super::settings::{CuratorEnv, RightPanel, SavedFilter, Settings};
use crate::ingest::{ImportOptions, IngestError, import_file};
use crate::store::{Actor, CurationAction, Store, StoreError};
use dialogs::Dialog;
use egui::RichText;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

mod dialogs;

/// The sample view's least width: two candidates side by side stay readable. Side panels give
/// way to it (the list scrolls sideways when its columns do not fit).
const CENTRAL_MIN: f32 = 440.0;
/// The right panel's (statistics, history) least width.
const SIDE_MIN: f32 = 280.0;
/// The list's least width.
const LIST_MIN: f32 = 320.0;
/// The smallest window: the list, the sample view and a side panel at their least widths.
pub const MIN_WINDOW: [f32; 2] = [LIST_MIN + CENTRAL_MIN + SIDE_MIN + 24.0, 600.0];

/// What a file dialog thread answers.
enum Picked {
    Open(Option<PathBuf>),
    New(Option<PathBuf>),
    Import(Option<PathBuf>),
    /// The folder to export into.
    ExportFolder(Option<PathBuf>),
    /// No system folder dialog answered (no xdg-desktop-portal).
    NoFolderDialog,
    /// The system dialog answered at once with nothing: there is none (no xdg-desktop-portal).
    NoDialog(PathFor),
    Detected(PathBuf, Result<String, String>),
}

/// A file dialog that answers "nothing picked" faster than this was not shown at all.
const NO_DIALOG_WITHIN: std::time::Duration = std::time::Duration::from_millis(400);

/// The whole app.
pub struct VerdictApp {
    /// Persisted state.
    pub settings: Settings,
    /// The name that signs changes: `$VERDICT_CURATOR`, else the one saved in the settings, else
    /// asked at the first change (and saved).
    curator: Option<String>,
    /// The curator names the environment gives.
    env: CuratorEnv,
    settings_path: Option<PathBuf>,
    saved_settings: Settings,
    /// The open project.
    pub project: Option<Project>,
    /// Jobs and notifications.
    pub jobs: JobsPanel,
    dialog: Dialog,
    pending: Vec<Command>,
    /// Curation actions made while another connection (a job) held the write lock, in order;
    /// written as soon as it lets go. They are the curator's, for samples named here.
    deferred: Vec<(crate::model::SampleId, CurationAction)>,
    /// When the deferred actions were last tried.
    deferred_tried: std::time::Instant,
    /// The cheat sheet is shown.
    pub cheat_sheet: bool,
    focus_query: bool,
    /// The list's own width last frame (its columns): the list panel is that wide when it can be.
    list_content_width: f32,
    picked: Option<Receiver<Picked>>,
    /// A project being upgraded (migrations) on a thread before it opens.
    opening: Option<(PathBuf, Receiver<Result<(), String>>)>,
    ctx: egui::Context,
}

impl VerdictApp {
    /// The app with `settings` (saved to `settings_path` when they change), opening `project` or
    /// else the last project; the curator's name as the process's environment gives it.
    pub fn new(
        ctx: &egui::Context,
        settings: Settings,
        settings_path: Option<PathBuf>,
        project: Option<&Path>,
    ) -> Self {
        Self::with_env(ctx, settings, settings_path, project, CuratorEnv::from_process())
    }

    /// [`VerdictApp::new`] with the curator names of `env` instead of the process's: a name
    /// from `$VERDICT_CURATOR` signs changes without asking (and is not saved as the curator's
    /// own), else the settings' name, else the question starts from `$USER`.
    pub fn with_env(
        ctx: &egui::Context,
        settings: Settings,
        settings_path: Option<PathBuf>,
        project: Option<&Path>,
        env: CuratorEnv,
    ) -> Self {
        let mut app = Self {
            curator: env.curator.clone().or_else(|| settings.curator.clone()),
            env,
            saved_settings: settings.clone(),
            settings,
            settings_path,
            project: None,
            jobs: JobsPanel::default(),
            dialog: Dialog::None,
            pending: Vec::new(),
            deferred: Vec::new(),
            deferred_tried: std::time::Instant::now(),
            cheat_sheet: false,
            focus_query: false,
            list_content_width: 0.0,
            picked: None,
            opening: None,
            ctx: ctx.clone(),
        };
        let start = project.map(Path::to_path_buf).or_else(|| app.settings.recent_projects.first().cloned());
        if let Some(p) = start
            && (project.is_some() || p.exists())
        {
            app.open_project(&p);
        }
        app
    }

    fn wake(&self) -> impl Fn() + Clone + Send + 'static {
        let ctx = self.ctx.clone();
        move || ctx.request_repaint()
    }

    /// Opens a project (creating it if the file does not exist), restoring its query and sample.
    pub fn open_project(&mut self, path: &Path) {
        // An older project is upgraded first, on a thread: on a million samples that takes seconds.
        if Store::needs_upgrade(path) {
            let (tx, rx) = sync_channel(1);
            let (target, wake) = (path.to_owned(), self.wake());
            let spawned = std::thread::Builder::new().name("open-project".into()).spawn(move || {
                let _ = tx.send(Store::open(&target).map(drop).map_err(|e| e.to_string()));
                wake();
            });
            match spawned {
                Ok(_) => self.opening = Some((path.to_owned(), rx)),
                Err(e) => self.jobs.notify_error(&format!("Cannot open {}", path.display()), &e.to_string()),
            }
            return;
        }
        match Project::open(path, self.wake()) {
            Ok(mut p) => {
                // Changes still waiting for the last project's lock belong to it, not to this one.
                self.write_deferred_or_drop();
                self.settings.touch_recent(&p.path);
                if let Some(mem) = self.settings.project(&p.path).cloned() {
                    p.query.text = mem.query;
                    p.sort = mem.sort;
                    p.descending = mem.descending;
                    p.select_when_listed(mem.last_sample.map(crate::model::SampleId));
                }
                p.run_query();
                p.refresh_undo_redo(self.curator.as_deref());
                refresh_panel(&mut p, self.settings.right_panel, self.wake());
                self.project = Some(p);
            }
            Err(e) => self.jobs.notify_error(&format!("Cannot open {}", path.display()), &format!("{e:#}")),
        }
    }

    /// The export dialog, while it is open.
    pub fn export_dialog(&self) -> Option<&ExportDialog> {
        match &self.dialog {
            Dialog::Export(d) => Some(d),
            _ => None,
        }
    }

    /// Whether a project is being upgraded before it opens.
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    fn poll_opening(&mut self) {
        let Some((path, rx)) = &self.opening else { return };
        let Ok(result) = rx.try_recv() else { return };
        let path = path.clone();
        self.opening = None;
        match result {
            Ok(()) => self.open_project(&path),
            Err(e) => self.jobs.notify_error(&format!("Cannot open {}", path.display()), &e),
        }
    }

    /// Queues a command, as a key or button would.
    pub fn send(&mut self, command: Command) {
        self.pending.push(command);
    }

    /// Non-drawing work for a frame: drain workers and jobs, save settings.
    pub fn logic(&mut self, ctx: &egui::Context) {
        let wake = self.wake();
        self.retry_deferred();
        if self.jobs.poll() > 0
            && let Some(p) = &mut self.project
        {
            p.run_query();
            if p.stats.is_loaded_or_loading() {
                p.stats.refresh(&p.path, wake);
            }
        }
        if let Some(p) = &mut self.project {
            let datasets_open = self.settings.right_panel == RightPanel::Datasets;
            // The Datasets panel is read again when datasets changed (or too much to name), not
            // at every label another window writes.
            let seen = p.poll_external(self.curator.as_deref());
            if datasets_open && seen.contains(crate::store::ChangeKinds::DATASETS) {
                let ctx = ctx.clone();
                p.datasets.refresh(&p.path, move || ctx.request_repaint());
            }
            p.datasets.poll();
            ctx.request_repaint_after(super::project::EXTERNAL_POLL);
            p.poll_query();
            if let Some(wait) = p.sync_selection() {
                ctx.request_repaint_after(wait);
            }
            if p.textures.poll(ctx) > 0 {
                ctx.request_repaint();
            }
            p.stats.poll();
            let mem = self.settings.project_mut(&p.path);
            mem.query.clone_from(&p.query.text);
            mem.sort = p.sort;
            mem.descending = p.descending;
            if let Some(id) = p.list.selected_id() {
                mem.last_sample = Some(id.0);
            }
        }
        if let Dialog::Export(d) = &mut self.dialog {
            d.poll(ctx);
        }
        self.poll_picked();
        self.poll_opening();
        for path in ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect::<Vec<_>>()
        }) {
            self.send(Command::Import(Some(path)));
        }
        if self.jobs.is_busy()
            || self.opening.is_some()
            || self.project.as_ref().is_some_and(|p| p.is_querying() || p.textures.has_pending())
        {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
        if self.settings != self.saved_settings {
            if let Some(path) = &self.settings_path
                && let Err(e) = self.settings.save(path)
            {
                eprintln!("warning: cannot save settings to {}: {e}", path.display());
            }
            self.saved_settings = self.settings.clone();
        }
    }

    /// Draws the app and runs the commands the frame produced.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // While a dialog is open, keys belong to it (the flag dialog's 1-6, Enter, Esc).
        if matches!(self.dialog, Dialog::None) {
            self.pending.extend(commands::from_keys(&ctx));
            // Esc unmarks the list's marked rows, unless the cheat sheet takes it to close.
            if !self.cheat_sheet
                && !ctx.egui_wants_keyboard_input()
                && self.project.as_ref().is_some_and(|p| p.list.marked_count() > 0)
                && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
            {
                self.pending.push(Command::ClearMarks);
            }
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_ui(ui));
        if self.project.is_some() {
            egui::Panel::top("query").show(ui, |ui| self.query_ui(ui));
            self.workspace_ui(ui);
        } else {
            egui::CentralPanel::default().show(ui, |ui| self.welcome_ui(ui));
        }
        self.dialog_ui(&ctx);
        self.cheat_sheet_ui(&ctx);
        self.jobs.toasts_ui(&ctx);
        for c in std::mem::take(&mut self.pending) {
            self.run_command(c);
        }
    }

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open project…").clicked() {
                    self.send(Command::OpenProject(None));
                }
                if ui.button("New project…").clicked() {
                    self.send(Command::NewProject);
                }
                if ui.add_enabled(self.project.is_some(), egui::Button::new("Import dataset…")).clicked() {
                    self.send(Command::Import(None));
                }
                let export =
                    egui::Button::new("Export…").shortcut_text(ui.ctx().format_shortcut(&commands::EXPORT_SHORTCUT));
                if ui.add_enabled(self.project.is_some(), export).clicked() {
                    self.send(Command::Export);
                }
                if ui.button("Change curator…").clicked() {
                    self.send(Command::ChangeCurator);
                }
                ui.separator();
                if ui.button("Open project by path…").clicked() {
                    self.send(Command::EnterPath(PathFor::Open));
                }
                if ui.add_enabled(self.project.is_some(), egui::Button::new("Import dataset by path…")).clicked() {
                    self.send(Command::EnterPath(PathFor::Import));
                }
                ui.separator();
                ui.menu_button("Recent projects", |ui| {
                    for p in self.settings.recent_projects.clone() {
                        if ui.button(p.display().to_string()).clicked() {
                            self.send(Command::OpenProject(Some(p)));
                        }
                    }
                });
            });
            ui.menu_button("View", |ui| {
                let mut stats = self.settings.right_panel == RightPanel::Stats;
                if ui.checkbox(&mut stats, "Statistics (G)").changed() {
                    self.send(Command::ToggleStats);
                }
                let mut history = self.settings.right_panel == RightPanel::History;
                if ui.checkbox(&mut history, "History of the sample (H)").changed() {
                    self.send(Command::ToggleHistory);
                }
                let mut datasets = self.settings.right_panel == RightPanel::Datasets;
                if ui.checkbox(&mut datasets, "Datasets (D)").changed() {
                    self.send(Command::ToggleDatasets);
                }
                ui.checkbox(&mut self.settings.show_diff, "Word diff of the chosen and the rejected answer");
                if ui.button("Keyboard cheat sheet (?)").clicked() {
                    self.send(Command::ToggleCheatSheet);
                }
            });
            ui.menu_button("Jobs", |ui| self.jobs.jobs_ui(ui));
            if let Some(p) = &self.project {
                ui.separator();
                ui.weak(p.path.display().to_string());
            }
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            match &self.curator {
                Some(c) if self.env.curator.as_ref() == Some(c) => ui
                    .label(format!("Curator: {c}"))
                    .on_hover_text("From $VERDICT_CURATOR; File > Change curator… to sign as another"),
                Some(c) => ui.label(format!("Curator: {c}")),
                None => ui.weak("Curator: not set (asked at the first label)"),
            };
            if let Some(p) = &self.project {
                ui.separator();
                match &p.undo_redo.0 {
                    Some(op) => ui.label(format!("Undo: {} (#{})", op.action.replace('_', " "), op.id)),
                    None => ui.weak("Nothing to undo"),
                };
                if let Some(t) = p.query.last_elapsed {
                    ui.separator();
                    ui.weak(format!("list {:.0} ms", t.as_secs_f64() * 1000.0));
                }
                if let Some(t) = p.textures.last_latency {
                    ui.weak(format!("image {:.0} ms", t.as_secs_f64() * 1000.0));
                }
            }
            if !self.jobs.running.is_empty() {
                ui.separator();
                ui.spinner();
                ui.label(crate::model::words::plural(self.jobs.running.len() as u64, "job"));
            }
            if !self.deferred.is_empty() {
                ui.separator();
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    format!(
                        "{} waiting for a job to finish writing",
                        crate::model::words::plural(self.deferred.len() as u64, "change")
                    ),
                );
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| ui.weak("? keys"));
        });
        if !self.jobs.running.is_empty() {
            self.jobs.jobs_ui(ui);
        }
    }

    fn query_ui(&mut self, ui: &mut egui::Ui) {
        let focus = std::mem::take(&mut self.focus_query);
        let Some(p) = &mut self.project else { return };
        let mut save = false;
        let mut apply: Option<String> = None;
        ui.horizontal(|ui| {
            let edit = egui::TextEdit::singleline(&mut p.query.text)
                .hint_text("Filter: modality:image len_chosen>500 is:flagged \"red car\"   (/ to focus)")
                .desired_width(ui.available_width() - 260.0)
                .id(egui::Id::unique("query_bar"));
            let response = ui.add(edit);
            if focus {
                response.request_focus();
            }
            if response.changed() {
                p.run_query();
            }
            if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                ui.memory_mut(|m| m.surrender_focus(response.id));
            }
            match (&p.query.error, &p.query.failure, p.query.count, p.query.partial) {
                (Some(_), _, _, _) => ui.colored_label(ui.visuals().error_fg_color, "invalid query"),
                (_, Some(_), _, _) => ui.colored_label(ui.visuals().error_fg_color, "query failed"),
                (_, _, Some(n), _) => ui.label(crate::model::words::count(n, "match", "matches")),
                (_, _, None, Some(first)) => ui.weak(format!("{first}+ matches, counting…")),
                _ => ui.weak("counting…"),
            };
            ui.menu_button("Filters", |ui| {
                for f in &self.settings.saved_filters {
                    if ui.button(format!("{}   {}", f.name, f.query)).clicked() {
                        apply = Some(f.query.clone());
                    }
                }
                ui.separator();
                if ui.button("Save current query…").clicked() {
                    save = true;
                }
            });
        });
        if let Some(e) = &p.query.error {
            let keeping = p.query.kept.kept().map(super::kept_filter::keeping_text).unwrap_or_default();
            ui.colored_label(ui.visuals().error_fg_color, format!("{e}{keeping}"));
        } else if let Some(f) = &p.query.failure {
            ui.colored_label(ui.visuals().error_fg_color, f);
        }
        if let Some(q) = apply {
            p.query.text = q;
            p.run_query();
        }
        if save {
            self.dialog = Dialog::SaveFilter { name: String::new() };
        }
    }

    fn workspace_ui(&mut self, ui: &mut egui::Ui) {
        let right = self.settings.right_panel;
        let Some(p) = &mut self.project else { return };
        let mut cmds = Vec::new();
        // The right panel first, then the list in what is left: each gives way so that the sample
        // view keeps its least width (at 1400 px with statistics the list's columns did not fit
        // beside them and squeezed the candidates to a letter a line).
        let room = ui.available_width();
        // Below the minimum window (a window manager that ignores it) the side panels shrink
        // further, and the sample view puts its candidates one above the other.
        let side_floor = SIDE_MIN.min(room * 0.25);
        let side_range = side_floor..=(room - LIST_MIN - CENTRAL_MIN).max(side_floor);
        let mut refresh_stats = false;
        let mut refresh_datasets = false;
        let right_width = match right {
            RightPanel::Stats => {
                let panel = egui::Panel::right("stats").resizable(true).default_size(420.0).size_range(side_range);
                panel.show(ui, |ui| refresh_stats = p.stats.ui(ui)).response.rect.width()
            }
            RightPanel::History => {
                let panel = egui::Panel::right("history").resizable(true).default_size(340.0).size_range(side_range);
                panel.show(ui, |ui| history_ui(ui, p)).response.rect.width()
            }
            RightPanel::Datasets => {
                let panel = egui::Panel::right("datasets").resizable(true).default_size(380.0).size_range(side_range);
                panel
                    .show(ui, |ui| {
                        let (more, refresh) = p.datasets.ui(ui);
                        cmds.extend(more);
                        refresh_datasets = refresh;
                    })
                    .response
                    .rect
                    .width()
            }
            RightPanel::Hidden => 0.0,
        };
        if refresh_datasets {
            p.datasets.refresh(&p.path, {
                let ctx = self.ctx.clone();
                move || ctx.request_repaint()
            });
        }
        if refresh_stats {
            p.stats.refresh(&p.path, {
                let ctx = self.ctx.clone();
                move || ctx.request_repaint()
            });
        }
        // As wide as its columns when there is room; narrower, the list scrolls sideways.
        let list_floor = LIST_MIN.min(room * 0.3);
        let list_max = (room - right_width - CENTRAL_MIN).max(list_floor);
        let list_range = self.list_content_width.clamp(list_floor, list_max)..=list_max;
        let mut content_width = self.list_content_width;
        let list_panel = egui::Panel::left("list")
            .resizable(true)
            .default_size(self.settings.list_width)
            .size_range(list_range)
            .show(ui, |ui| {
                let marked = p.list.marked_count();
                if marked > 0 {
                    cmds.extend(super::bulk::bar_ui(ui, marked, p.list.all_marked()));
                }
                let scroll = egui::ScrollArea::horizontal().id_salt("list_sideways").show(ui, |ui| {
                    let (mut sort, mut desc) = (p.sort, p.descending);
                    cmds.extend(p.list.ui(ui, &p.store, &mut sort, &mut desc));
                    if (sort, desc) != (p.sort, p.descending) {
                        p.sort = sort;
                        p.descending = desc;
                        p.run_query();
                    }
                });
                content_width = scroll.content_size.x + ui.spacing().item_spacing.x * 2.0;
            });
        self.list_content_width = content_width;
        self.settings.list_width = list_panel.response.rect.width();
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().id_salt("sample").auto_shrink([false, false]).show(ui, |ui| {
                if let Some(s) = &mut p.sample {
                    sample_ui(ui, s, &mut p.textures, self.settings.show_diff, &mut cmds);
                } else if let Some(e) = &p.sample_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                } else if p.list.ids.is_empty() && !p.is_querying() {
                    ui.weak(super::kept_filter::empty_list_text(&p.query.text, p.query.kept.kept()));
                } else {
                    ui.spinner();
                }
            });
        });
        self.pending.extend(cmds);
    }

    fn welcome_ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("Verdict");
            if let Some((path, _)) = &self.opening {
                ui.add_space(20.0);
                ui.spinner();
                ui.label(format!(
                    "Upgrading {} to this version of Verdict (once; large projects take a while)…",
                    path.display()
                ));
                return;
            }
            ui.label("Review and relabel multimodal preference data.");
            ui.add_space(20.0);
            if ui.button("Open project…").clicked() {
                self.send(Command::OpenProject(None));
            }
            if ui.button("New project…").clicked() {
                self.send(Command::NewProject);
            }
            if !self.settings.recent_projects.is_empty() {
                ui.add_space(16.0);
                ui.strong("Recent");
                for p in self.settings.recent_projects.clone() {
                    if ui.link(p.display().to_string()).clicked() {
                        self.send(Command::OpenProject(Some(p)));
                    }
                }
            }
        });
    }

    fn cheat_sheet_ui(&mut self, ctx: &egui::Context) {
        if !self.cheat_sheet {
            return;
        }
        // Esc closes it (unless a dialog above it takes Esc first).
        let mut open = !(matches!(self.dialog, Dialog::None)
            && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)));
        egui::Window::new("Keyboard").open(&mut open).collapsible(false).resizable(false).show(ctx, |ui| {
            commands::cheat_sheet_ui(ui);
            ui.weak("Ctrl-click or Shift-click rows to mark them for a bulk action (Esc unmarks).");
            ui.weak("Flag popup: 1-6 pick a reason. Keys are ignored while typing in a field. Esc closes this.");
        });
        self.cheat_sheet = open;
    }

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
    fn remember_export(&mut self, form: &ExportForm) {
        if let Some(p) = &self.project {
            self.settings.project_mut(&p.path).export = Some(SavedExport::from(form));
        }
    }

    /// Starts the export as a job; the dialog closes when it started and says why when it did not.
    fn start_export(&mut self, form: &ExportForm) {
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
                    let (summary, detail) = super::export_dialog::report::describe_report(&job_title, target, &report);
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

    /// The system's folder dialog, on a thread; no answer at once means there is none.
    fn pick_export_folder(&mut self) {
        let start = match &self.dialog {
            Dialog::Export(d) => self.project.as_ref().and_then(|p| d.form.out_path(&p.path)),
            _ => None,
        };
        let (tx, rx) = sync_channel(1);
        let wake = self.wake();
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let started = std::time::Instant::now();
            let mut d = rfd::FileDialog::new().set_title("Export into folder");
            // The nearest folder that exists, so the dialog opens where the export would go.
            if let Some(dir) = start.as_deref().and_then(|s| s.ancestors().find(|a| a.is_dir())) {
                d = d.set_directory(dir);
            }
            let path = d.pick_folder();
            let answer = if path.is_none() && started.elapsed() < NO_DIALOG_WITHIN {
                Picked::NoFolderDialog
            } else {
                Picked::ExportFolder(path)
            };
            let _ = tx.send(answer);
            wake();
        });
        match spawned {
            Ok(_) => self.picked = Some(rx),
            Err(e) => self.jobs.notify_error("Cannot open a folder dialog", &e.to_string()),
        }
    }

    /// Opens the right-hand `panel`, or closes it when it is the one open; a panel that shows
    /// figures of the whole project reads them (again) as it opens.
    fn toggle_panel(&mut self, panel: RightPanel) {
        let open = if self.settings.right_panel == panel { RightPanel::Hidden } else { panel };
        self.settings.right_panel = open;
        let wake = self.wake();
        if let Some(p) = &mut self.project {
            refresh_panel(p, open, wake);
        }
    }

    /// Removes a dataset (`relink` `None`) or points its media at a folder, as a job on its own
    /// connection; the app refreshes when the project's data version moves.
    fn dataset_job(&mut self, id: crate::model::DatasetId, name: &str, relink: Option<PathBuf>) {
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

    /// Runs `f` on the sample shown, when there is one.
    fn with_sample(&mut self, f: impl FnOnce(&mut super::loaded::LoadedSample)) {
        if let Some(s) = self.project.as_mut().and_then(|p| p.sample.as_mut()) {
            f(s);
        }
    }

    /// The name that signs changes now (`None`: not given yet, asked at the first change).
    pub fn curator(&self) -> Option<&str> {
        self.curator.as_deref()
    }

    /// Asks the curator's name (starting from `$USER`), then runs `command`.
    fn ask_curator(&mut self, command: Command) {
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

    /// Writes one curation action on the UI's connection; while a job holds the write lock it
    /// waits (in `deferred`, said once when `first_try`) instead of freezing the window. Returns
    /// whether it is done with (written, or failed for good).
    fn write_curation(&mut self, id: crate::model::SampleId, action: &CurationAction, first_try: bool) -> bool {
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
    fn retry_deferred(&mut self) {
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
    fn write_deferred_or_drop(&mut self) {
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

    /// Curation actions waiting for a job to let go of the write lock.
    pub fn deferred_count(&self) -> usize {
        self.deferred.len()
    }

    fn apply_bulk(&mut self, command: Command, request: &BulkRequest) {
        let Some(curator) = self.curator.clone() else {
            self.ask_curator(command);
            return;
        };
        let Some(p) = &mut self.project else { return };
        let actor = Actor::new(curator.as_str(), "app");
        if request.ids.len() >= super::bulk::JOB_THRESHOLD {
            super::bulk::spawn(&mut self.jobs, p.path.clone(), actor, request.clone());
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
                        super::bulk::describe(&done)
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
        if let Some(t) = target.filter(|t| t.samples as usize >= super::bulk::JOB_THRESHOLD) {
            // A large operation is undone as a job on its own connection, like the bulk action was
            // done: the list follows when the project's data version moves.
            // Its outcome names the action and its samples ("Undo #5: Undid exclude (duplicate) on
            // 2,500 samples").
            let title = format!("{} #{}", if redo { "Redo" } else { "Undo" }, t.id);
            let project = p.path.clone();
            self.jobs.spawn_on(&title, project, move |store, _progress| {
                let done = if redo { store.redo(&actor, None) } else { store.undo(&actor, None) };
                match done {
                    Ok(u) => JobOutcome::Done(u.describe(redo)),
                    Err(e) => JobOutcome::Failed { summary: "not done".into(), detail: e.to_string() },
                }
            });
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

    fn pick_file(&mut self, kind: fn(Option<PathBuf>) -> Picked) {
        let (tx, rx) = sync_channel(1);
        let wake = self.wake();
        let probe = kind(None);
        let (title, save) = match probe {
            Picked::Open(_) => ("Open a Verdict project", false),
            Picked::New(_) => ("New Verdict project", true),
            _ => ("Import a dataset file", false),
        };
        let is_import = matches!(probe, Picked::Import(_));
        let purpose = match probe {
            Picked::Open(_) => PathFor::Open,
            Picked::New(_) => PathFor::New,
            _ => PathFor::Import,
        };
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let started = std::time::Instant::now();
            let mut d = rfd::FileDialog::new().set_title(title);
            d = if is_import {
                d.add_filter("Datasets", &["jsonl", "json", "parquet", "arrow"])
            } else {
                d.add_filter("Verdict project", &["verdict"])
            };
            let path = if save { d.set_file_name("project.verdict").save_file() } else { d.pick_file() };
            let answer = if path.is_none() && started.elapsed() < NO_DIALOG_WITHIN {
                Picked::NoDialog(purpose)
            } else {
                kind(path)
            };
            let _ = tx.send(answer);
            wake();
        });
        match spawned {
            Ok(_) => self.picked = Some(rx),
            Err(e) => self.jobs.notify_error("Cannot open a file dialog", &e.to_string()),
        }
    }

    fn poll_picked(&mut self) {
        let Some(rx) = &self.picked else { return };
        let Ok(picked) = rx.try_recv() else { return };
        self.picked = None;
        match picked {
            Picked::Open(Some(p)) | Picked::New(Some(p)) => self.open_project(&p),
            Picked::Import(Some(p)) => self.detect_then_confirm(p),
            Picked::Detected(path, detected) => {
                let preset = detected.clone().unwrap_or_default();
                self.dialog = Dialog::ConfirmImport {
                    path,
                    detected,
                    preset,
                    media_root: String::new(),
                    mapping: String::new(),
                    error: None,
                };
            }
            Picked::NoDialog(purpose) => {
                self.dialog = Dialog::EnterPath {
                    purpose,
                    path: String::new(),
                    note: Some(
                        "No system file dialog is available here (it needs xdg-desktop-portal). Type the path instead."
                            .into(),
                    ),
                    error: None,
                };
            }
            Picked::ExportFolder(Some(dir)) => {
                if let Dialog::Export(d) = &mut self.dialog {
                    d.set_folder(&dir);
                }
            }
            Picked::NoFolderDialog => {
                if let Dialog::Export(d) = &mut self.dialog {
                    d.no_folder_dialog();
                }
            }
            Picked::Open(None) | Picked::New(None) | Picked::Import(None) | Picked::ExportFolder(None) => {}
        }
    }

    /// Detects the file's layout on a thread, then asks to confirm.
    fn detect_then_confirm(&mut self, path: PathBuf) {
        if self.project.is_none() {
            self.jobs.notify_error(
                "Open or create a project first",
                "Imports go into the open project (File > New project).",
            );
            return;
        }
        let (tx, rx) = sync_channel(1);
        let wake = self.wake();
        let spawned = std::thread::Builder::new().name("detect".into()).spawn(move || {
            let detected = crate::ingest::detect_layout(&path).map_err(|e| e.to_string());
            let _ = tx.send(Picked::Detected(path, detected));
            wake();
        });
        match spawned {
            Ok(_) => self.picked = Some(rx),
            Err(e) => self.jobs.notify_error("Cannot inspect the file", &e.to_string()),
        }
    }

    fn start_import(&mut self, file: PathBuf, options: ImportOptions) {
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

/// Reads the figures of `panel` (statistics, datasets) for `p` again; the others read nothing.
fn refresh_panel(p: &mut Project, panel: RightPanel, wake: impl Fn() + Send + 'static) {
    match panel {
        RightPanel::Stats => p.stats.refresh(&p.path, wake),
        RightPanel::Datasets => p.datasets.refresh(&p.path, wake),
        RightPanel::History | RightPanel::Hidden => {}
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

fn history_ui(ui: &mut egui::Ui, p: &Project) {
    ui.heading("History");
    let Some(s) = &p.sample else {
        ui.weak("No sample selected.");
        return;
    };
    if s.audit.is_empty() {
        ui.weak("No curator has changed this sample.");
        return;
    }
    egui::ScrollArea::vertical().id_salt("history").show(ui, |ui| {
        for e in s.audit.iter().rev() {
            let op = e.op.map(|o| format!(" · #{o}")).unwrap_or_default();
            ui.label(RichText::new(format!("{} · {} · {}{op}", e.at, e.curator, e.action.replace('_', " "))).strong());
            for c in &e.changes {
                ui.label(c);
            }
            ui.separator();
        }
    });
}

impl eframe::App for VerdictApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        VerdictApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        VerdictApp::ui(self, ui);
    }
}
