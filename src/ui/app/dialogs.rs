//! The app's modal dialogs: the curator's name, a flag reason, a note, the import confirmation
//! (preset, media folder, mapping), saving a filter, the export form, a bulk action, removing a
//! dataset, the folder its media moved to, a rating's correction and a typed path. Each reads
//! Enter and Esc before it is drawn and hands what it decides back as [`Command`]s.

use super::VerdictApp;
use crate::ingest::ImportOptions;
use crate::store::FLAG_REASONS;
use crate::ui::bulk::{BulkDialog, BulkReply};
use crate::ui::commands::BulkRequest;
use crate::ui::commands::{Command, PathFor};
use crate::ui::export_dialog::ExportDialog;
use crate::ui::settings::SavedFilter;
use crate::ui::shared::{ctrl_enter, digit_reason, enter_submits, expand_home, focus_if_unfocused, letter};
use std::path::PathBuf;

/// A modal question the app is asking.
pub(super) enum Dialog {
    None,
    /// The curator's name: asked at the first label (then `then` runs), or changed from the
    /// File menu (`then` is `None`).
    Curator {
        name: String,
        then: Option<Box<Command>>,
    },
    /// Why this sample is flagged.
    Flag {
        reason: String,
    },
    /// The curator's note.
    Note {
        text: String,
    },
    /// Import this file with this preset?
    ConfirmImport {
        path: PathBuf,
        detected: Result<String, String>,
        preset: String,
        /// Where relative media paths resolve; empty: the data file's folder.
        media_root: String,
        /// A column mapping (TOML) instead of a preset; empty: the preset.
        mapping: String,
        /// What is wrong with the folder or mapping typed.
        error: Option<String>,
    },
    /// Remove this dataset?
    RemoveDataset {
        id: crate::model::DatasetId,
        name: String,
        samples: u64,
    },
    /// The folder a dataset's media moved to.
    Relink {
        id: crate::model::DatasetId,
        name: String,
        folder: String,
        error: Option<String>,
    },
    /// A corrected value for one rating.
    Rate {
        response: Option<u32>,
        aspect: String,
        value: String,
        error: Option<String>,
    },
    /// Name for saving the current query.
    SaveFilter {
        name: String,
    },
    /// File > Export…: the form and its preview.
    Export(Box<ExportDialog>),
    /// A bulk action (or one sample's exclusion): how many change, with a reason or note.
    Bulk(Box<BulkDialog>),
    /// A question before a command runs (the Cleaning panel's decisions and passes).
    Confirm(Box<crate::ui::commands::Confirmation>),
    /// A path typed in, for when no system file dialog is available.
    EnterPath {
        purpose: PathFor,
        path: String,
        /// Why this dialog shows instead of the system's.
        note: Option<String>,
        /// What is wrong with the path typed.
        error: Option<String>,
    },
}

impl VerdictApp {
    pub(super) fn dialog_ui(&mut self, ctx: &egui::Context) {
        let mut close = false;
        let mut then: Vec<Command> = Vec::new();
        let modal = |title: &str, ctx: &egui::Context, body: &mut dyn FnMut(&mut egui::Ui)| {
            egui::Modal::new(egui::Id::unique(("dialog", title))).show(ctx, |ui| {
                ui.set_width(380.0);
                ui.heading(title);
                body(ui);
            })
        };
        if matches!(self.dialog, Dialog::EnterPath { .. }) {
            close = Self::enter_path_ui(ctx, &mut self.dialog, &mut then);
        }
        match &mut self.dialog {
            Dialog::None | Dialog::EnterPath { .. } => {}
            Dialog::Export(d) => {
                let reply = d.ui(ctx);
                then.extend(reply.commands);
                if reply.close {
                    let form = d.form.clone();
                    self.remember_export(&form);
                    close = true;
                }
            }
            Dialog::Bulk(d) => {
                let enter = enter_submits(ctx, &[BulkDialog::field_id()]);
                match d.ui(ctx, enter) {
                    BulkReply::Open => {}
                    BulkReply::Cancel => close = true,
                    BulkReply::Apply(action) => {
                        let ids = std::mem::take(&mut d.ids);
                        let query = std::mem::take(&mut d.query);
                        then.push(Command::ApplyBulk(Box::new(BulkRequest { ids, action, query })));
                        close = true;
                    }
                }
            }
            Dialog::Curator { name, then: next } => {
                let field = egui::Id::unique("curator_name");
                let enter = enter_submits(ctx, &[field]);
                let mut ok = false;
                let title = if next.is_some() { "Who is curating?" } else { "Change curator" };
                let r = modal(title, ctx, &mut |ui| {
                    ui.label(if next.is_some() {
                        "Your name goes into the audit log with every change. Asked once."
                    } else {
                        "The name written into the audit log with every change from now on."
                    });
                    let edit = ui.add(egui::TextEdit::singleline(name).id(field));
                    focus_if_unfocused(ui, &edit);
                    ui.horizontal(|ui| {
                        ok = (ui.button("OK").clicked() || enter) && !name.trim().is_empty();
                        ui.weak("Enter saves · Esc cancels");
                    });
                });
                if ok {
                    // Signs from now on, and is remembered (a name from $VERDICT_CURATOR is not).
                    self.curator = Some(name.trim().to_owned());
                    self.settings.curator.clone_from(&self.curator);
                    if let Some(p) = &mut self.project {
                        p.refresh_undo_redo(self.curator.as_deref());
                    }
                    then.extend(next.take().map(|c| *c));
                    close = true;
                } else if r.should_close() {
                    close = true;
                }
            }
            Dialog::Flag { reason } => {
                let field = egui::Id::unique("flag_reason");
                let enter = enter_submits(ctx, &[field]);
                let r = modal("Flag this sample", ctx, &mut |ui| {
                    // 1-6 pick a reason while nothing is typed: their keys (and the digits they
                    // type) are taken before the field, which has the keyboard, sees them.
                    if reason.is_empty()
                        && let Some(r) = digit_reason(ui, FLAG_REASONS)
                    {
                        then.push(Command::Flag(r.to_owned()));
                    }
                    for (i, r) in FLAG_REASONS.iter().enumerate() {
                        if ui.button(format!("{}  {r}", i + 1)).clicked() {
                            then.push(Command::Flag((*r).to_owned()));
                        }
                    }
                    ui.horizontal(|ui| {
                        let edit = ui.add(egui::TextEdit::singleline(reason).hint_text("other reason").id(field));
                        focus_if_unfocused(ui, &edit);
                        if (ui.button("Flag").clicked() || enter) && !reason.trim().is_empty() {
                            then.push(Command::Flag(reason.trim().to_owned()));
                        }
                    });
                    ui.weak("1-6 pick a reason · or type one, Enter flags · Esc cancels");
                });
                then.truncate(1);
                close = !then.is_empty() || r.should_close();
            }
            Dialog::Note { text } => {
                let save_key = ctrl_enter(ctx);
                let r = modal("Note", ctx, &mut |ui| {
                    let edit =
                        ui.add(egui::TextEdit::multiline(text).desired_rows(4).id(egui::Id::unique("note_text")));
                    focus_if_unfocused(ui, &edit);
                    ui.horizontal(|ui| {
                        if ui.button("Save").clicked() || save_key {
                            then.push(Command::SetNote(text.clone()));
                        }
                        ui.weak("Ctrl+Enter saves · Esc cancels · empty clears");
                    });
                });
                then.truncate(1);
                close = !then.is_empty() || r.should_close();
            }
            Dialog::ConfirmImport { path, detected, preset, media_root, mapping, error } => {
                let fields = [egui::Id::unique("import_media_root"), egui::Id::unique("import_mapping")];
                let enter = enter_submits(ctx, &fields);
                let (mut go, mut cancel) = (false, false);
                let r = modal("Import dataset", ctx, &mut |ui| {
                    ui.label(path.display().to_string());
                    match detected {
                        Ok(name) => ui.label(format!("Detected layout: {name}")),
                        Err(e) => ui.colored_label(ui.visuals().error_fg_color, e.as_str()),
                    };
                    ui.add_enabled_ui(mapping.trim().is_empty(), |ui| {
                        egui::ComboBox::from_label("read as").selected_text(preset.as_str()).show_ui(ui, |ui| {
                            for pr in crate::ingest::presets::all() {
                                ui.selectable_value(preset, pr.name.to_owned(), pr.name);
                            }
                        });
                    });
                    let label = ui.label("Media folder (relative media paths resolve here; empty: the file's folder)");
                    ui.add(egui::TextEdit::singleline(media_root).hint_text("the data file's folder").id(fields[0]))
                        .labelled_by(label.id);
                    let label =
                        ui.label("Column mapping (a TOML file, for layouts no preset knows; empty: the preset)");
                    ui.add(egui::TextEdit::singleline(mapping).hint_text("none").id(fields[1])).labelled_by(label.id);
                    if let Some(e) = error.as_deref() {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    let ready = !preset.is_empty() || !mapping.trim().is_empty();
                    ui.horizontal(|ui| {
                        go = ui.add_enabled(ready, egui::Button::new("Import")).clicked() || (enter && ready);
                        cancel = ui.button("Cancel").clicked();
                        ui.weak("Enter imports · Esc cancels");
                    });
                });
                if go {
                    let root = Some(media_root.trim()).filter(|t| !t.is_empty()).map(expand_home);
                    let map = Some(mapping.trim()).filter(|t| !t.is_empty()).map(expand_home);
                    if let Some(r) = root.as_ref().filter(|r| !r.is_dir()) {
                        *error = Some(format!("{} is not a folder", r.display()));
                    } else if let Some(m) = map.as_ref().filter(|m| !m.is_file()) {
                        *error = Some(format!("{} is not a file", m.display()));
                    } else {
                        let forced =
                            (map.is_none() && detected.as_ref().ok() != Some(&*preset)).then(|| preset.clone());
                        let options =
                            ImportOptions { preset: forced, media_root: root, mapping: map, id_pattern: None };
                        let path = path.clone();
                        self.start_import(path, options);
                        close = true;
                    }
                } else if cancel || r.should_close() {
                    close = true;
                }
            }
            Dialog::Confirm(c) => {
                let enter = enter_submits(ctx, &[]);
                let (mut go, mut cancel) = (false, false);
                let title = c.title.clone();
                let r = modal(&title, ctx, &mut |ui| {
                    for line in &c.lines {
                        ui.label(line);
                    }
                    ui.horizontal(|ui| {
                        go = ui.button(&c.yes).clicked() || enter;
                        cancel = ui.button("Cancel").clicked();
                        ui.weak("Enter confirms · Esc cancels");
                    });
                });
                if go {
                    then.push(c.then.clone());
                    close = true;
                } else if cancel || r.should_close() {
                    close = true;
                }
            }
            Dialog::RemoveDataset { id, name, samples } => {
                let enter = enter_submits(ctx, &[]);
                let (mut go, mut cancel) = (false, false);
                let r = modal("Remove dataset", ctx, &mut |ui| {
                    ui.label(format!(
                        "Remove dataset {id} ({name}) with its {}, their labels, flags, notes, exclusions and history?",
                        crate::model::words::plural(*samples, "sample")
                    ));
                    ui.label("This cannot be undone. The source file is not touched: importing it again brings the samples back, without their curation.");
                    ui.horizontal(|ui| {
                        go = ui.button("Remove").clicked() || enter;
                        cancel = ui.button("Cancel").clicked();
                        ui.weak("Enter removes · Esc cancels");
                    });
                });
                if go {
                    then.push(Command::RemoveDataset(*id, name.clone()));
                    close = true;
                } else if cancel || r.should_close() {
                    close = true;
                }
            }
            Dialog::Relink { id, name, folder, error } => {
                let field = egui::Id::unique("relink_folder");
                let enter = enter_submits(ctx, &[field]);
                let (mut go, mut cancel) = (false, false);
                let r = modal("Media moved", ctx, &mut |ui| {
                    ui.label(format!("The folder dataset {id} ({name})'s media are in now:"));
                    let edit = ui.add(egui::TextEdit::singleline(folder).hint_text("/path/to/media").id(field));
                    focus_if_unfocused(ui, &edit);
                    ui.weak("Relative media paths resolve inside it, as at import; nothing is imported again.");
                    if let Some(e) = error.as_deref() {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ui.horizontal(|ui| {
                        go = ui.button("Relink").clicked() || enter;
                        cancel = ui.button("Cancel").clicked();
                        ui.weak("Enter relinks · Esc cancels");
                    });
                });
                if go {
                    let dir = expand_home(folder.trim());
                    if folder.trim().is_empty() || !dir.is_dir() {
                        *error = Some(format!("{} is not a folder", dir.display()));
                    } else {
                        then.push(Command::Relink(*id, name.clone(), dir));
                        close = true;
                    }
                } else if cancel || r.should_close() {
                    close = true;
                }
            }
            Dialog::Rate { response, aspect, value, error } => {
                let field = egui::Id::unique("rating_value");
                let enter = enter_submits(ctx, &[field]);
                let mut save = false;
                let target =
                    response.map_or_else(|| "the whole sample".to_owned(), |p| format!("candidate {}", letter(p)));
                let r = modal("Correct a rating", ctx, &mut |ui| {
                    ui.label(format!("{aspect} of {target}"));
                    let edit = ui.add(egui::TextEdit::singleline(value).hint_text("a number").id(field));
                    focus_if_unfocused(ui, &edit);
                    if let Some(e) = error.as_deref() {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    ui.horizontal(|ui| {
                        save = ui.button("Save").clicked() || enter;
                        ui.weak("Enter saves · Esc cancels");
                    });
                });
                if save {
                    match value.trim().parse::<f64>() {
                        Ok(v) if v.is_finite() => {
                            then.push(Command::Rate(*response, aspect.clone(), v));
                            close = true;
                        }
                        _ => *error = Some(format!("`{}` is not a number", value.trim())),
                    }
                } else if r.should_close() {
                    close = true;
                }
            }
            Dialog::SaveFilter { name } => {
                let query = self.project.as_ref().map(|p| p.query.text.clone()).unwrap_or_default();
                let field = egui::Id::unique("filter_name");
                let enter = enter_submits(ctx, &[field]);
                let mut save = false;
                let r = modal("Save filter", ctx, &mut |ui| {
                    ui.monospace(&query);
                    let edit = ui.add(egui::TextEdit::singleline(name).hint_text("name").id(field));
                    focus_if_unfocused(ui, &edit);
                    if (ui.button("Save").clicked() || enter) && !name.trim().is_empty() {
                        save = true;
                    }
                });
                if save {
                    let name = name.trim().to_owned();
                    self.settings.saved_filters.retain(|f| f.name != name);
                    self.settings.saved_filters.push(SavedFilter { name, query });
                }
                close = save || r.should_close();
            }
        }
        if close {
            self.dialog = Dialog::None;
        }
        self.pending.extend(then);
    }

    /// The typed-path dialog; returns whether it closes.
    fn enter_path_ui(ctx: &egui::Context, dialog: &mut Dialog, then: &mut Vec<Command>) -> bool {
        let Dialog::EnterPath { purpose, path, note, error } = dialog else { return false };
        let title = match purpose {
            PathFor::Open => "Open a project",
            PathFor::New => "New project",
            PathFor::Import => "Import a dataset file",
        };
        let field = egui::Id::unique("path_field");
        let mut submit = enter_submits(ctx, &[field]);
        let r = egui::Modal::new(egui::Id::unique("enter_path")).show(ctx, |ui| {
            ui.set_width(480.0);
            ui.heading(title);
            if let Some(note) = note {
                ui.label(note.as_str());
            }
            let edit = ui.add(
                egui::TextEdit::singleline(path)
                    .hint_text("/path/to/file (~ for your home folder)")
                    .desired_width(f32::INFINITY)
                    .id(field),
            );
            focus_if_unfocused(ui, &edit);
            if let Some(e) = error {
                ui.colored_label(ui.visuals().error_fg_color, e.as_str());
            }
            ui.horizontal(|ui| {
                submit |= ui.button("OK").clicked();
                ui.weak("Enter opens · Esc cancels");
            });
        });
        if !submit {
            return r.should_close();
        }
        let typed = expand_home(path.trim());
        let exists = typed.is_file();
        *error = match purpose {
            _ if path.trim().is_empty() => Some("Type a path.".into()),
            PathFor::Open | PathFor::Import if !exists => Some(format!("No file at {}", typed.display())),
            PathFor::New if typed.parent().is_some_and(|d| !d.as_os_str().is_empty() && !d.is_dir()) => {
                Some(format!("No folder {}", typed.parent().unwrap_or(&typed).display()))
            }
            _ => None,
        };
        if error.is_some() {
            return false;
        }
        then.push(match purpose {
            PathFor::Open | PathFor::New => Command::OpenProject(Some(typed)),
            PathFor::Import => Command::Import(Some(typed)),
        });
        true
    }
}
