//! File > Export…: the form (target, file type, filter, pairs, ties, form, split, media, folder), a
//! preview of the first rows exactly as they will be written with the counts in and out, and the
//! [`Command::StartExport`] that hands the form to the app's command loop. Drawing only edits the
//! form; [`ExportDialog::poll`] (called from the app's `logic`) restarts the preview job when the
//! form settles and looks at the output folder. The export itself runs as a job in the jobs panel;
//! `report.rs` says its counts and report. The form's model is
//! [`crate::ui::commands::export_form`]: the dialog only draws it.

use crate::export::{self, ExportError, FileFormat, Form, MediaMode, PairMode, Preview, Target, TiesMode};
use crate::jobs::{Job, Progress};
use crate::model::words;
use crate::store::Store;
use crate::ui::commands::{Command, ExportForm, FolderState, target_title};
use crate::ui::shared::thousands;
use egui::{Key, RichText};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub mod report;

/// How long the form must stay unchanged before a new preview starts.
const DEBOUNCE: Duration = Duration::from_millis(300);
/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 5;
/// A previewed row longer than this is cut (the rest is counted, not shown).
const ROW_CHARS: usize = 1500;

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
        self.form.start_problem(&self.project, &self.folder.1)
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

            let margins = matches!(f.target, Target::Swift | Target::OpenRlhf);
            let margin = ui.label("Margin from");
            ui.add_enabled(
                margins,
                egui::TextEdit::singleline(&mut f.margin_from)
                    .hint_text("the source's margin; or a scorer's name")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(margin.id)
            .on_hover_text("A scorer (verdict scorers): margin = its score(chosen) − score(rejected)")
            .on_disabled_hover_text("Only ms-swift and OpenRLHF rows have a margin");
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
                report::counts_ui(ui, p, target);
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
}
