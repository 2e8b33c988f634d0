//! File > Export…: the form (target, file type, filter, pairs, ties, form, split, media, folder), a
//! preview of the first rows exactly as they will be written with the counts in and out, and the
//! [`Command::StartExport`] that hands the form to the app's command loop. Drawing only edits the
//! form; [`ExportDialog::poll`] (called from the app's `logic`) restarts the preview job when the
//! form settles and looks at the output folder. The export itself runs as a job in the jobs panel.

use super::commands::Command;
use super::shared::{expand_home, thousands};
use crate::export::{
    self, ExportError, ExportOptions, FileFormat, Form, MediaMode, PairMode, Preview, Split, Target, TiesMode,
};
use crate::jobs::{Job, Progress};
use crate::model::words;
use crate::store::Store;
use egui::{Key, RichText};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the form must stay unchanged before a new preview starts.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 5;
/// A previewed row longer than this is cut (the rest is counted, not shown).
const ROW_CHARS: usize = 1500;

/// The name a curator knows the target by.
pub fn target_title(t: Target) -> &'static str {
    match t {
        Target::Trl => "TRL",
        Target::LlamaFactory => "LLaMA-Factory",
        Target::Swift => "ms-swift",
        Target::OpenRlhf => "OpenRLHF",
        Target::Original => "Original",
        Target::Verdict => "Verdict",
    }
}

/// One line saying what the target writes.
pub fn target_blurb(t: Target) -> &'static str {
    match t {
        Target::Trl => "TRL DPOTrainer: prompt / chosen / rejected strings, messages where there are turns, images",
        Target::LlamaFactory => "LLaMA-Factory: sharegpt ranking rows and a dataset_info.json entry",
        Target::Swift => "ms-swift: messages and rejected_response, with images / videos / audios",
        Target::OpenRlhf => "OpenRLHF DPO and reward models: prompt, chosen, rejected (strings or messages), margin",
        Target::Original => "Each dataset in its own schema and file type, with the curators' labels applied",
        Target::Verdict => "Verdict's own lossless JSONL: samples, every judgment, curation state, media",
    }
}

fn pairs_help(p: PairMode) -> &'static str {
    match p {
        PairMode::BestWorst => "one pair per sample: the best response over the worst",
        PairMode::All => "every ordered pair whose scores differ",
        PairMode::Adjacent => "each response over the next one down",
    }
}

fn form_help(f: Form) -> &'static str {
    match f {
        Form::Auto => {
            "messages where a sample has a system message or earlier turns (TRL: or images), else plain strings"
        }
        Form::Strings => "plain strings: samples with a system message or earlier turns are left out",
        Form::Messages => "lists of {role, content} messages, plain prompts too",
    }
}

fn media_help(m: MediaMode) -> &'static str {
    match m {
        MediaMode::Copy => "copied into media/, named by content hash, each file once",
        MediaMode::Link => "hard-linked into media/ when on the same disk, else copied",
        MediaMode::Embed => "the bytes inside the Parquet rows",
        MediaMode::Reference => "absolute paths of the source files (embedded media are copied)",
    }
}

/// What the curator chose, as the dialog edits it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportForm {
    /// The format.
    pub target: Target,
    /// JSONL or Parquet (not asked for `original` and `verdict`).
    pub file_format: FileFormat,
    /// Which samples (the query bar's language).
    pub query: String,
    /// Write flagged samples too.
    pub include_flagged: bool,
    /// Write samples marked excluded too.
    pub include_excluded: bool,
    /// Rankings and ratings to pairs.
    pub pairs: PairMode,
    /// The rated aspect that orders responses; empty: an overall rating, else the mean.
    pub aspect: String,
    /// Ties and both-bad.
    pub ties: TiesMode,
    /// Strings or messages (TRL and OpenRLHF).
    pub form: Form,
    /// Hold out a test split.
    pub split: bool,
    /// Its share (0 to 1).
    pub test_share: f64,
    /// Its seed.
    pub seed: u64,
    /// The media mode; `None`: the file type's default.
    pub media: Option<MediaMode>,
    /// The output folder as typed (`~` and paths relative to the project's folder allowed).
    pub out: String,
    /// The folder was suggested, not chosen: it follows the target.
    pub out_suggested: bool,
    /// Replace an earlier export in a non-empty folder.
    pub force: bool,
}

impl ExportForm {
    /// The defaults, writing next to `project`.
    pub fn new(project: &Path) -> Self {
        let mut f = Self {
            target: Target::Trl,
            file_format: FileFormat::Jsonl,
            query: String::new(),
            include_flagged: false,
            include_excluded: false,
            pairs: PairMode::BestWorst,
            aspect: String::new(),
            ties: TiesMode::Drop,
            form: Form::Auto,
            split: false,
            test_share: 0.05,
            seed: 0,
            media: None,
            out: String::new(),
            out_suggested: true,
            force: false,
        };
        f.suggest_out(project);
        f
    }

    /// `<project folder>/<project name>-<target>`, while the curator has not chosen a folder.
    fn suggest_out(&mut self, project: &Path) {
        if self.out_suggested {
            let stem = project.file_stem().map_or_else(|| "export".into(), |s| s.to_string_lossy().into_owned());
            let dir = project.parent().unwrap_or(Path::new("."));
            self.out = dir.join(format!("{stem}-{}", self.target)).display().to_string();
        }
    }

    /// Whether the file type is the curator's choice for this target.
    pub fn asks_file_format(&self) -> bool {
        !matches!(self.target, Target::Original | Target::Verdict)
    }

    /// Whether the target has a strings and a messages form.
    pub fn has_forms(&self) -> bool {
        matches!(self.target, Target::Trl | Target::OpenRlhf)
    }

    /// The output folder the text names: `~` expanded, relative paths under the project's folder.
    pub fn out_path(&self, project: &Path) -> Option<PathBuf> {
        let typed = self.out.trim();
        if typed.is_empty() {
            return None;
        }
        let p = expand_home(typed);
        Some(if p.is_absolute() { p } else { project.parent().unwrap_or(Path::new(".")).join(p) })
    }

    /// The core's options (without checking them).
    pub fn options(&self, project: &Path) -> ExportOptions {
        let mut o = ExportOptions::new(self.target, self.out_path(project).unwrap_or_default());
        o.file_format = if self.asks_file_format() { self.file_format } else { FileFormat::Jsonl };
        o.query.clone_from(&self.query);
        o.include_flagged = self.include_flagged;
        o.include_excluded = self.include_excluded;
        o.pairs = self.pairs;
        o.aspect = Some(self.aspect.trim().to_owned()).filter(|a| !a.is_empty());
        o.ties = self.ties;
        // The other formats have one form: the choice stays for when TRL or OpenRLHF is picked again.
        o.form = if self.has_forms() { self.form } else { Form::Auto };
        o.split = self.split.then_some(Split { test: self.test_share.clamp(0.0, 1.0), seed: self.seed });
        o.media = if self.target == Target::Original { None } else { self.media };
        o.force = self.force;
        o.invocation = vec!["app".into()];
        o
    }

    /// What makes these options unusable, whatever the folder: a bad query, a contradiction.
    pub fn option_problem(&self, project: &Path) -> Option<String> {
        if let Err(e) = crate::query::compile(&self.query) {
            return Some(format!("Filter: {e}"));
        }
        self.options(project).validate().err()
    }

    /// The form as far as the preview depends on it (not the folder).
    fn preview_key(&self) -> Self {
        Self { out: String::new(), out_suggested: false, force: false, ..self.clone() }
    }
}

/// The form as the settings file keeps it, per project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedExport {
    target: String,
    file_format: String,
    include_flagged: bool,
    #[serde(default)]
    include_excluded: bool,
    pairs: String,
    aspect: String,
    ties: String,
    #[serde(default)]
    form: String,
    split: bool,
    test_share: f64,
    seed: u64,
    media: Option<String>,
    out: String,
    out_suggested: bool,
}

impl Default for SavedExport {
    fn default() -> Self {
        Self::from(&ExportForm::new(Path::new("project.verdict")))
    }
}

impl From<&ExportForm> for SavedExport {
    fn from(f: &ExportForm) -> Self {
        Self {
            target: f.target.as_str().into(),
            file_format: f.file_format.as_str().into(),
            include_flagged: f.include_flagged,
            include_excluded: f.include_excluded,
            pairs: f.pairs.as_str().into(),
            aspect: f.aspect.clone(),
            ties: f.ties.as_str().into(),
            form: f.form.as_str().into(),
            split: f.split,
            test_share: f.test_share,
            seed: f.seed,
            media: f.media.map(|m| m.as_str().into()),
            out: f.out.clone(),
            out_suggested: f.out_suggested,
        }
    }
}

impl SavedExport {
    /// The form again, for `project`, filtering with `query`; unknown names fall back to defaults.
    pub fn to_form(&self, project: &Path, query: &str) -> ExportForm {
        let d = ExportForm::new(project);
        let mut f = ExportForm {
            target: Target::parse(&self.target).unwrap_or(d.target),
            file_format: FileFormat::parse(&self.file_format).unwrap_or(d.file_format),
            query: query.to_owned(),
            include_flagged: self.include_flagged,
            include_excluded: self.include_excluded,
            pairs: PairMode::parse(&self.pairs).unwrap_or(d.pairs),
            aspect: self.aspect.clone(),
            ties: TiesMode::parse(&self.ties).unwrap_or(d.ties),
            form: Form::parse(&self.form).unwrap_or(d.form),
            split: self.split,
            test_share: if (0.0..=1.0).contains(&self.test_share) { self.test_share } else { d.test_share },
            seed: self.seed,
            media: self.media.as_deref().and_then(MediaMode::parse),
            out: self.out.clone(),
            out_suggested: self.out_suggested || self.out.trim().is_empty(),
            force: false,
        };
        f.suggest_out(project);
        f
    }
}

/// What the output folder holds now.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderState {
    /// No folder typed.
    Unset,
    /// It does not exist yet: it will be created.
    New,
    /// It exists and is empty.
    Empty,
    /// It holds an earlier Verdict export (its manifest's target and time).
    EarlierExport(String),
    /// It holds other entries.
    Other(usize),
    /// It is a file, or cannot be read.
    Unusable(String),
}

impl FolderState {
    /// Looks at `dir` (staging folders a killed export left do not count: the core removes them).
    pub fn of(dir: Option<&Path>) -> Self {
        let Some(dir) = dir else { return Self::Unset };
        match std::fs::metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Self::New,
            Err(e) => return Self::Unusable(format!("{}: {e}", dir.display())),
            Ok(m) if !m.is_dir() => return Self::Unusable(format!("{} is a file, not a folder", dir.display())),
            Ok(_) => {}
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => return Self::Unusable(format!("{}: {e}", dir.display())),
        };
        // A staging folder named for this process: one of our exports is writing there now, and a
        // second one would remove its staging folder when it starts.
        let ours = format!(".verdict-export-{}", std::process::id());
        let mut n = 0;
        for e in entries.filter_map(Result::ok).take(10_000) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ours {
                return Self::Unusable("An export is being written into this folder now: wait for it to end.".into());
            }
            if !name.starts_with(".verdict-export-") {
                n += 1;
            }
        }
        if n == 0 {
            return Self::Empty;
        }
        let manifest = std::fs::read_to_string(dir.join("manifest.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        match manifest {
            Some(m) if m.get("verdict_version").is_some() => {
                let field = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_owned();
                Self::EarlierExport(format!("{}, {}", field("target"), field("exported_at")))
            }
            _ => Self::Other(n),
        }
    }

    /// Whether the export may write here with `force` as chosen.
    pub fn allows(&self, force: bool) -> bool {
        match self {
            Self::New | Self::Empty => true,
            Self::EarlierExport(_) | Self::Other(_) => force,
            Self::Unset | Self::Unusable(_) => false,
        }
    }

    fn is_occupied(&self) -> bool {
        matches!(self, Self::EarlierExport(_) | Self::Other(_))
    }
}

/// The preview as the pane shows it.
enum PreviewState {
    /// Nothing computed yet.
    None,
    /// The options cannot be previewed (what is wrong is shown at the field and under the form).
    Invalid,
    /// The preview of `form`.
    Ready(Preview),
    /// It failed.
    Failed(String),
}

/// What the dialog asks the app for after a frame.
#[derive(Debug, Default)]
pub struct Reply {
    /// Close the dialog.
    pub close: bool,
    /// Commands to run.
    pub commands: Vec<Command>,
}

/// The export dialog.
pub struct ExportDialog {
    /// The form.
    pub form: ExportForm,
    project: PathBuf,
    /// The form as last seen, and since when unchanged.
    seen: (ExportForm, Instant),
    /// The running preview job and the form it previews.
    job: Option<(ExportForm, Job<Result<Preview, ExportError>>)>,
    /// The last finished preview and the form it previewed.
    shown: (Option<ExportForm>, PreviewState),
    /// The folder as last looked at, and what it holds.
    folder: (String, FolderState),
    /// Said under the folder field (no system folder dialog, or why the export did not start).
    pub note: Option<String>,
    focus_out: bool,
}

impl ExportDialog {
    /// The dialog for `project` with `form`.
    pub fn new(project: &Path, form: ExportForm) -> Self {
        let folder = FolderState::of(form.out_path(project).as_deref());
        Self {
            seen: (form.preview_key(), Instant::now().checked_sub(DEBOUNCE).unwrap_or_else(Instant::now)),
            folder: (form.out.clone(), folder),
            form,
            project: project.to_owned(),
            job: None,
            shown: (None, PreviewState::None),
            note: None,
            focus_out: false,
        }
    }

    /// The folder picked in the system dialog.
    pub fn set_folder(&mut self, dir: &Path) {
        self.form.out = dir.display().to_string();
        self.form.out_suggested = false;
        self.note = None;
    }

    /// No system folder dialog answered: say so and put the cursor in the folder field.
    pub fn no_folder_dialog(&mut self) {
        self.note =
            Some("No system folder dialog is available here (it needs xdg-desktop-portal): type the path.".into());
        self.focus_out = true;
    }

    /// What the folder holds (as of the last poll).
    pub fn folder_state(&self) -> &FolderState {
        &self.folder.1
    }

    /// The preview on screen and whether it is of the current form.
    pub fn preview(&self) -> Option<(&Preview, bool)> {
        match &self.shown {
            (key, PreviewState::Ready(p)) => Some((p, key.as_ref() == Some(&self.form.preview_key()))),
            _ => None,
        }
    }

    /// Whether a preview is being computed (or waits for the form to settle).
    pub fn is_previewing(&self) -> bool {
        self.job.is_some() || self.shown.0.as_ref() != Some(&self.form.preview_key())
    }

    /// Non-drawing work: restart the preview once the form has settled, collect a finished one,
    /// and look at the folder when its text changed.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if self.folder.0 != self.form.out {
            self.folder = (self.form.out.clone(), FolderState::of(self.form.out_path(&self.project).as_deref()));
        }
        let key = self.form.preview_key();
        if self.seen.0 != key {
            self.seen = (key.clone(), Instant::now());
        }
        if let Some((_, job)) = &self.job
            && job.is_finished()
            && let Some((form, job)) = self.job.take()
        {
            match job.join() {
                Some(Ok(p)) => self.shown = (Some(form), PreviewState::Ready(p)),
                Some(Err(ExportError::Cancelled)) => {}
                Some(Err(e)) => self.shown = (Some(form), PreviewState::Failed(e.to_string())),
                None => self.shown = (Some(form), PreviewState::Failed("the preview stopped unexpectedly".into())),
            }
        }
        let current = self.job.as_ref().map(|(f, _)| f).or(self.shown.0.as_ref());
        if current == Some(&key) {
            if self.job.is_some() {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
            return;
        }
        let wait = DEBOUNCE.saturating_sub(self.seen.1.elapsed());
        if !wait.is_zero() {
            ctx.request_repaint_after(wait);
            return;
        }
        if let Some((_, old)) = self.job.take() {
            old.cancel(); // its thread stops at its next tick; nothing waits for it
        }
        if self.form.option_problem(&self.project).is_some() {
            self.shown = (Some(key), PreviewState::Invalid);
            return;
        }
        let options = self.form.options(&self.project);
        let project = self.project.clone();
        let wake = ctx.clone();
        let spawned = Job::spawn("export-preview", move |progress: &mut Progress| {
            let result = Store::open(&project)
                .map_err(ExportError::from)
                .and_then(|store| export::preview(&store, &options, PREVIEW_ROWS, progress));
            wake.request_repaint();
            result
        });
        match spawned {
            Ok(job) => self.job = Some((key, job)),
            Err(e) => self.shown = (Some(key), PreviewState::Failed(format!("cannot start the preview: {e}"))),
        }
        ctx.request_repaint_after(Duration::from_millis(100));
    }

    /// Why the Export button is off, if it is.
    pub fn blocker(&self) -> Option<String> {
        if let Some(p) = self.form.option_problem(&self.project) {
            return Some(p);
        }
        match &self.folder.1 {
            FolderState::Unset => Some("Choose the folder to write into.".into()),
            FolderState::Unusable(e) => Some(e.clone()),
            s if !s.allows(self.form.force) => {
                Some("The folder is not empty: choose another, or tick \"Replace an earlier export there\".".into())
            }
            _ => None,
        }
    }

    /// Draws the dialog.
    pub fn ui(&mut self, ctx: &egui::Context) -> Reply {
        let mut reply = Reply::default();
        // Enter exports unless a widget that takes Enter has the keyboard: a number being typed,
        // a focused button or box (Enter presses it), an open list. Ctrl+Enter exports from anywhere.
        let focused = ctx.memory(egui::Memory::focused);
        let enter_fields = [ids::QUERY, ids::ASPECT, ids::OUT].map(egui::Id::unique);
        let plain_enter = ctx.input(|i| i.key_pressed(Key::Enter) && i.modifiers.is_none())
            && focused.is_none_or(|f| enter_fields.contains(&f));
        let ctrl_enter = ctx.input(|i| i.key_pressed(Key::Enter) && i.modifiers.command);
        let mut export = (plain_enter || ctrl_enter) && !egui::Popup::is_any_open(ctx);

        let screen = ctx.content_rect();
        let width = (screen.width() - 48.0).clamp(280.0, 1240.0);
        let two_columns = width >= 900.0;
        let max_height = (screen.height() - 64.0).max(200.0);
        let blocker = self.blocker();
        let r = egui::Modal::new(egui::Id::unique("export_dialog")).show(ctx, |ui| {
            ui.set_width(width);
            ui.set_max_height(max_height);
            ui.heading("Export samples");
            ui.weak("Writes the filtered samples with their current labels, for a trainer or to keep.");
            ui.add_space(4.0);
            let footer = 64.0;
            let body = (max_height - footer - 60.0).max(120.0);
            if two_columns {
                let left = 520.0;
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(left);
                        egui::ScrollArea::vertical().id_salt("export_form").max_height(body).show(ui, |ui| {
                            self.form_ui(ui, &mut reply);
                        });
                    });
                    ui.separator();
                    ui.vertical(|ui| {
                        ui.set_width(ui.available_width());
                        self.preview_ui(ui, body);
                    });
                });
            } else {
                egui::ScrollArea::vertical().id_salt("export_narrow").max_height(body).show(ui, |ui| {
                    self.form_ui(ui, &mut reply);
                    ui.separator();
                    self.preview_ui(ui, f32::INFINITY);
                });
            }
            ui.separator();
            if let Some(b) = &blocker {
                ui.add(egui::Label::new(RichText::new(b).color(ui.visuals().warn_fg_color)).wrap());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let go = ui
                    .add_enabled(blocker.is_none(), egui::Button::new(RichText::new("Export").strong()))
                    .on_hover_text("Enter");
                export |= go.clicked();
                if ui.button("Cancel").on_hover_text("Esc").clicked() {
                    reply.close = true;
                }
                ui.weak("Enter exports · Esc closes");
            });
        });
        if r.is_top_modal && !r.any_popup_open && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape)) {
            reply.close = true;
        }
        if export && blocker.is_none() && !reply.close {
            reply.commands.push(Command::StartExport(Box::new(self.form.clone())));
        }
        reply
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, reply: &mut Reply) {
        let f = &mut self.form;
        let project = &self.project;
        let before = (f.target, f.file_format);
        egui::Grid::new("export_grid").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            ui.label("Format");
            ui.vertical(|ui| {
                ui.horizontal_wrapped(|ui| {
                    for t in Target::ALL {
                        ui.selectable_value(&mut f.target, *t, target_title(*t)).on_hover_text(target_blurb(*t));
                    }
                });
                ui.add(egui::Label::new(RichText::new(target_blurb(f.target)).weak()).wrap());
            });
            ui.end_row();

            ui.label("File type");
            ui.horizontal(|ui| {
                if f.asks_file_format() {
                    ui.radio_value(&mut f.file_format, FileFormat::Jsonl, "JSONL");
                    ui.radio_value(&mut f.file_format, FileFormat::Parquet, "Parquet");
                } else if f.target == Target::Original {
                    ui.weak("each dataset's own (JSONL, JSON or Parquet)");
                } else {
                    ui.weak("JSONL");
                }
            });
            ui.end_row();

            let filter = ui.label("Samples");
            ui.vertical(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut f.query)
                        .hint_text("all samples (the filter bar's language)")
                        .font(egui::TextStyle::Monospace)
                        .desired_width(f32::INFINITY)
                        .id(egui::Id::unique(ids::QUERY)),
                )
                .labelled_by(filter.id);
                if let Err(e) = crate::query::compile(&f.query) {
                    ui.add(egui::Label::new(RichText::new(e.to_string()).color(ui.visuals().error_fg_color)).wrap());
                }
                ui.checkbox(&mut f.include_flagged, "Include flagged samples");
                ui.checkbox(&mut f.include_excluded, "Include samples marked excluded");
            });
            ui.end_row();

            let not_for = format!("does not apply to {}", target_title(f.target));
            let pairs_apply = !matches!(f.target, Target::Original | Target::Verdict);
            ui.label("Pairs");
            ui.add_enabled_ui(pairs_apply, |ui| {
                ui.horizontal_wrapped(|ui| {
                    for p in PairMode::ALL {
                        ui.radio_value(&mut f.pairs, *p, p.as_str())
                            .on_hover_text(pairs_help(*p))
                            .on_disabled_hover_text(&not_for);
                    }
                });
            });
            ui.end_row();

            let aspect = ui.label("Aspect");
            ui.add_enabled(
                pairs_apply,
                egui::TextEdit::singleline(&mut f.aspect)
                    .hint_text("overall rating, else the mean")
                    .desired_width(f32::INFINITY)
                    .id(egui::Id::unique(ids::ASPECT)),
            )
            .labelled_by(aspect.id)
            .on_hover_text("The rated aspect that orders responses (e.g. Helpfulness)")
            .on_disabled_hover_text(&not_for);
            ui.end_row();

            ui.label("Ties");
            ui.add_enabled_ui(f.target != Target::Verdict, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.radio_value(&mut f.ties, TiesMode::Drop, "drop")
                        .on_hover_text("ties and both-bad are left out and counted")
                        .on_disabled_hover_text(&not_for);
                    ui.radio_value(&mut f.ties, TiesMode::Keep, "keep")
                        .on_hover_text("written where the format can say so (else left out and counted)")
                        .on_disabled_hover_text(&not_for);
                });
            });
            ui.end_row();

            ui.label("Form");
            ui.add_enabled_ui(f.has_forms(), |ui| {
                ui.horizontal_wrapped(|ui| {
                    for form in Form::ALL {
                        ui.radio_value(&mut f.form, *form, form.as_str())
                            .on_hover_text(form_help(*form))
                            .on_disabled_hover_text(&not_for);
                    }
                });
            });
            ui.end_row();

            ui.label("Split");
            ui.add_enabled_ui(f.target != Target::Original, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.checkbox(&mut f.split, "Hold out a test set")
                        .on_hover_text("Samples sharing a prompt and media stay on the same side")
                        .on_disabled_hover_text(&not_for);
                    ui.add_enabled_ui(f.split, |ui| {
                        ui.label("share");
                        ui.add(egui::DragValue::new(&mut f.test_share).range(0.0..=1.0).speed(0.005).fixed_decimals(3));
                        ui.label("seed");
                        ui.add(egui::DragValue::new(&mut f.seed).speed(1.0));
                    });
                });
            });
            ui.end_row();

            ui.label("Media");
            ui.vertical(|ui| {
                if f.target == Target::Original {
                    ui.weak("as the source wrote them");
                } else {
                    let format = if f.asks_file_format() { f.file_format } else { FileFormat::Jsonl };
                    let default = if format == FileFormat::Parquet { MediaMode::Embed } else { MediaMode::Copy };
                    let mut mode = f.media.unwrap_or(default);
                    ui.horizontal_wrapped(|ui| {
                        for m in MediaMode::ALL {
                            let text = if *m == default { format!("{m} (default)") } else { m.to_string() };
                            let allowed = *m != MediaMode::Embed || format == FileFormat::Parquet;
                            ui.add_enabled_ui(allowed, |ui| ui.radio_value(&mut mode, *m, text))
                                .inner
                                .on_hover_text(media_help(*m))
                                .on_disabled_hover_text("needs Parquet");
                        }
                    });
                    f.media = (mode != default).then_some(mode);
                    ui.add(egui::Label::new(RichText::new(media_help(mode)).weak()).wrap());
                }
            });
            ui.end_row();

            let folder = ui.label("Folder");
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    let browse = ui.button("Browse…");
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut f.out)
                                .hint_text("/path/to/folder (~ for home)")
                                .desired_width(ui.available_width())
                                .id(egui::Id::unique(ids::OUT)),
                        )
                        .labelled_by(folder.id);
                    if edit.changed() {
                        f.out_suggested = false;
                    }
                    if std::mem::take(&mut self.focus_out) {
                        edit.request_focus();
                    }
                    if browse.clicked() {
                        reply.commands.push(Command::BrowseExportFolder);
                    }
                });
                let (text, warn) = match &self.folder.1 {
                    FolderState::Unset => (String::new(), false),
                    FolderState::New => ("A new folder: it will be created.".into(), false),
                    FolderState::Empty => ("An empty folder.".into(), false),
                    FolderState::EarlierExport(what) => (format!("Holds an earlier export ({what})."), true),
                    FolderState::Other(n) => (
                        format!("Holds {} (left alone).", words::count(*n as u64, "other entry", "other entries")),
                        true,
                    ),
                    FolderState::Unusable(e) => (e.clone(), true),
                };
                if !text.is_empty() {
                    let color = if warn { ui.visuals().warn_fg_color } else { ui.visuals().weak_text_color() };
                    ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
                }
                if let Some(note) = &self.note {
                    ui.add(egui::Label::new(RichText::new(note).color(ui.visuals().warn_fg_color)).wrap());
                }
                if self.folder.1.is_occupied() {
                    ui.checkbox(&mut f.force, "Replace an earlier export there")
                        .on_hover_text("The files an earlier export wrote are replaced; other files are left alone");
                }
                if let Some(path) = f.out_path(project)
                    && path.as_os_str() != f.out.trim()
                    && !f.out.trim().is_empty()
                {
                    ui.add(egui::Label::new(RichText::new(format!("that is {}", path.display())).weak()).wrap());
                }
            });
            ui.end_row();
        });
        // The file type's default media mode follows it; embed only exists for Parquet.
        if before != (f.target, f.file_format) {
            if f.media == Some(MediaMode::Embed) && f.file_format != FileFormat::Parquet {
                f.media = None;
            }
            f.suggest_out(project);
        }
    }

    fn preview_ui(&self, ui: &mut egui::Ui, height: f32) {
        ui.horizontal(|ui| {
            ui.strong("Preview");
            if let Some((_, job)) = &self.job {
                ui.spinner();
                match job.state().progress {
                    Some(p) => ui.weak(format!(
                        "{} {} of {} {}",
                        p.phase,
                        thousands(p.done),
                        p.total.map_or("?".into(), thousands),
                        p.unit
                    )),
                    None => ui.weak("starting…"),
                };
            } else if self.is_previewing() {
                ui.spinner();
            }
        });
        let stale = self.shown.0.as_ref() != Some(&self.form.preview_key());
        match &self.shown.1 {
            PreviewState::None => {
                ui.weak("Counting…");
            }
            PreviewState::Invalid => {
                ui.weak("Nothing to preview until the options are fixed.");
            }
            PreviewState::Failed(e) => {
                ui.add(egui::Label::new(RichText::new(e).color(ui.visuals().error_fg_color)).wrap());
            }
            PreviewState::Ready(p) => {
                if stale {
                    ui.multiply_opacity(0.5);
                }
                let target = self.shown.0.as_ref().map_or(self.form.target, |k| k.target);
                super::export_report::counts_ui(ui, p, target);
                ui.add_space(6.0);
                ui.strong(if p.rows.is_empty() { "No rows would be written." } else { "First rows, as written" });
                egui::ScrollArea::vertical()
                    .id_salt("export_rows")
                    .max_height(height - 40.0)
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        for (i, row) in p.rows.iter().enumerate() {
                            egui::Frame::group(ui.style()).show(ui, |ui| {
                                ui.set_width(ui.available_width());
                                ui.weak(format!("row {}", i + 1));
                                // Rows are data, not prose: fill each line, as a terminal does.
                                let mut job = egui::text::LayoutJob::single_section(
                                    shorten(row, ROW_CHARS),
                                    egui::TextFormat::simple(egui::FontId::monospace(12.0), ui.visuals().text_color()),
                                );
                                job.wrap.break_anywhere = true;
                                ui.add(egui::Label::new(job).wrap().selectable(true));
                            });
                        }
                    });
            }
        }
    }
}

/// Ids of the text fields in which Enter exports.
mod ids {
    pub const QUERY: &str = "export_query";
    pub const ASPECT: &str = "export_aspect";
    pub const OUT: &str = "export_out";
}

/// The first `max` characters of `text`, and how many more there are.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => {
            let more = text[at..].chars().count() as u64;
            format!("{} … ({})", &text[..at], words::count(more, "more character", "more characters"))
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_rows_read_well() {
        assert_eq!(shorten("abcdef", 3), "abc … (3 more characters)");
        assert_eq!(shorten("abcd", 3), "abc … (1 more character)");
        assert_eq!(shorten("é€x", 5), "é€x");
    }

    #[test]
    fn the_form_becomes_the_core_options() {
        let project = Path::new("/data/p.verdict");
        let mut f = ExportForm::new(project);
        assert_eq!(f.out, "/data/p-trl");
        f.target = Target::LlamaFactory;
        f.suggest_out(project);
        assert_eq!(f.out, "/data/p-llamafactory", "a suggested folder follows the target");
        f.out = "exports/lf".into();
        f.out_suggested = false;
        f.split = true;
        f.test_share = 0.1;
        f.seed = 7;
        f.aspect = "  ".into();
        let o = f.options(project);
        assert_eq!(o.out, Path::new("/data/exports/lf"), "relative to the project's folder");
        assert_eq!(o.split, Some(Split { test: 0.1, seed: 7 }));
        assert_eq!(o.aspect, None);
        assert_eq!(o.invocation, vec!["app"]);
        f.file_format = FileFormat::Jsonl;
        f.media = Some(MediaMode::Embed);
        assert!(f.option_problem(project).is_some_and(|p| p.contains("parquet")));
        f.media = None;
        f.query = "len_a>>".into();
        assert!(f.option_problem(project).is_some_and(|p| p.starts_with("Filter:")));
        // The form choice is TRL's and OpenRLHF's: kept for them, `auto` for the others.
        f.form = Form::Strings;
        assert_eq!(f.options(project).form, Form::Auto, "LLaMA-Factory has one form");
        f.target = Target::OpenRlhf;
        assert_eq!(f.options(project).form, Form::Strings);
        let saved = SavedExport::from(&f);
        let back = saved.to_form(project, "is:flagged");
        assert_eq!(back.query, "is:flagged");
        assert_eq!(back.preview_key(), ExportForm { query: "is:flagged".into(), ..f.clone() }.preview_key());
    }

    #[test]
    fn the_folder_says_what_it_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(FolderState::of(None), FolderState::Unset);
        assert_eq!(FolderState::of(Some(&dir.path().join("new"))), FolderState::New);
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Empty);
        std::fs::create_dir(dir.path().join(".verdict-export-1")).expect("mkdir");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Empty, "a killed export's staging folder");
        let ours = dir.path().join(format!(".verdict-export-{}", std::process::id()));
        std::fs::create_dir(&ours).expect("mkdir");
        assert!(matches!(FolderState::of(Some(dir.path())), FolderState::Unusable(_)), "an export writing there now");
        std::fs::remove_dir(&ours).expect("rmdir");
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Other(1));
        assert!(!FolderState::Other(1).allows(false) && FolderState::Other(1).allows(true));
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"verdict_version":"0.1.0","target":"trl","exported_at":"2026-01-02T03:04:05Z"}"#,
        )
        .expect("write");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::EarlierExport("trl, 2026-01-02T03:04:05Z".into()));
        assert!(matches!(FolderState::of(Some(&dir.path().join("notes.txt"))), FolderState::Unusable(_)));
    }
}
