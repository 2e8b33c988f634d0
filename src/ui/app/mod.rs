//! The application: the root that holds the open [`Project`], the panels and the dialogs, and
//! the only module that imports the panels (they import none of it, nor each other: what they share
//! is in the leaf modules `commands`, `shared`, `loaded`, ...). Panels emit [`Command`]s while
//! drawing; [`VerdictApp::run_command`] carries them out after the frame. Persisted state lives in
//! [`Settings`]; everything else is runtime state. By concern: this file holds the app's state and
//! its per-frame logic; `frame.rs` draws the frame and views, `command_handling.rs` runs commands
//! (`cleaning.rs` those of the Cleaning panel, `scoring.rs` the Suspects panel's), `jobs.rs` starts the jobs, `files.rs` runs the system's file dialogs and `dialogs.rs` the modal
//! dialogs; `project.rs` is an open project and `kept_filter.rs` the query bar's kept filter.

use crate::store::{CurationAction, Store};
use crate::ui::commands::Command;
use crate::ui::export_dialog::ExportDialog;
use crate::ui::jobs_panel::JobsPanel;
use crate::ui::settings::{CuratorEnv, RightPanel, Settings};
use deferred::Closing;
use dialogs::Dialog;
use files::Picked;
use project::Project;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, sync_channel};

mod cleaning;
mod command_handling;
mod deferred;
mod dialogs;
mod files;
mod frame;
mod jobs;
pub mod kept_filter;
pub mod project;
mod scoring;
mod type_ahead;

/// The sample view's least width: two candidates side by side stay readable. Side panels give
/// way to it (the list scrolls sideways when its columns do not fit).
const CENTRAL_MIN: f32 = 440.0;
/// The right panel's (statistics, history) least width.
const SIDE_MIN: f32 = 280.0;
/// The list's least width.
const LIST_MIN: f32 = 320.0;
/// The smallest window: the list, the sample view and a side panel at their least widths.
pub const MIN_WINDOW: [f32; 2] = [LIST_MIN + CENTRAL_MIN + SIDE_MIN + 24.0, 600.0];

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
    /// A close of the window held back while deferred actions wait.
    closing: Closing,
    /// The cheat sheet is shown.
    pub cheat_sheet: bool,
    focus_query: bool,
    /// Input held for the next frame: a click that came right after typed keys (`type_ahead`).
    held_input: Vec<egui::Event>,
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
            closing: Closing::No,
            cheat_sheet: false,
            focus_query: false,
            held_input: Vec::new(),
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
                refresh_panel(&mut p, self.settings.right_panel, &self.ctx);
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
        self.poll_closing(ctx);
        if self.jobs.poll() > 0
            && let Some(p) = &mut self.project
        {
            p.run_query();
            // A pass that ended (or was cancelled) changed what the cleaning queues list.
            p.cleaning.invalidate();
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
            p.cleaning.poll(ctx, self.settings.right_panel == RightPanel::Cleaning);
            let shown = p.suspects.poll(ctx, self.settings.right_panel == RightPanel::Suspects);
            self.pending.extend(shown);
            if p.watch.is_none() {
                ctx.request_repaint_after(project::EXTERNAL_POLL);
            }
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

    /// The name that signs changes now (`None`: not given yet, asked at the first change).
    pub fn curator(&self) -> Option<&str> {
        self.curator.as_deref()
    }
}

/// Reads the figures of `panel` (statistics, datasets, the cleaning queues) for `p` again; the
/// others read nothing.
fn refresh_panel(p: &mut Project, panel: RightPanel, ctx: &egui::Context) {
    let wake = {
        let ctx = ctx.clone();
        move || ctx.request_repaint()
    };
    match panel {
        RightPanel::Stats => p.stats.refresh(&p.path, wake),
        RightPanel::Datasets => p.datasets.refresh(&p.path, wake),
        RightPanel::Cleaning => p.cleaning.refresh(ctx),
        RightPanel::Suspects => p.suspects.refresh(ctx),
        RightPanel::History | RightPanel::Hidden => {}
    }
}

impl VerdictApp {
    /// What eframe hands the app before each frame: a click typed right after keys waits a frame,
    /// so that the keys reach the text field that had the keyboard (`type_ahead`).
    pub fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        type_ahead::arrange(ctx, &mut self.held_input, raw_input);
    }
}

impl eframe::App for VerdictApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        VerdictApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        VerdictApp::ui(self, ui);
    }

    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        VerdictApp::raw_input_hook(self, ctx, raw_input);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.write_deferred_at_exit();
    }
}
