//! The system's file and folder dialogs, each on a `file-dialog` thread (a dialog that answers
//! "nothing" at once was never shown: no xdg-desktop-portal, so a path is typed instead), and a
//! dataset's layout detected on a `detect` thread before the import is confirmed.

use super::{Dialog, VerdictApp};
use crate::ui::commands::PathFor;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

/// What a file dialog thread answers.
pub(super) enum Picked {
    Open(Option<PathBuf>),
    New(Option<PathBuf>),
    Import(Option<PathBuf>),
    /// The folder to export into.
    ExportFolder(Option<PathBuf>),
    /// The Score form's model folder.
    ScoreModel(Option<PathBuf>),
    /// No system folder dialog answered (no xdg-desktop-portal).
    NoFolderDialog,
    /// The system dialog answered at once with nothing: there is none (no xdg-desktop-portal).
    NoDialog(PathFor),
    Detected(PathBuf, Result<String, String>),
}

/// A file dialog that answers "nothing picked" faster than this was not shown at all.
const NO_DIALOG_WITHIN: std::time::Duration = std::time::Duration::from_millis(400);

impl VerdictApp {
    /// The system's folder dialog, on a thread; no answer at once means there is none.
    pub(super) fn pick_export_folder(&mut self) {
        let start = match &self.dialog {
            Dialog::Export(d) => self.project.as_ref().and_then(|p| d.form.out_path(&p.path)),
            _ => None,
        };
        self.pick_folder("Export into folder", start, Picked::ExportFolder);
    }

    /// The Score form's model folder, in the system's folder dialog.
    pub(super) fn pick_score_model(&mut self) {
        let start = self
            .project
            .as_ref()
            .and_then(|p| p.suspects.form.as_ref())
            .map(|f| crate::ui::shared::expand_home(f.model.trim()))
            .filter(|p| !p.as_os_str().is_empty());
        self.pick_folder("A model folder (config.json, model.safetensors, tokenizer.json)", start, Picked::ScoreModel);
    }

    fn pick_folder(&mut self, title: &'static str, start: Option<PathBuf>, kind: fn(Option<PathBuf>) -> Picked) {
        let (tx, rx) = sync_channel(1);
        let wake = self.wake();
        let spawned = std::thread::Builder::new().name("file-dialog".into()).spawn(move || {
            let started = std::time::Instant::now();
            let mut d = rfd::FileDialog::new().set_title(title);
            // The nearest folder that exists, so the dialog opens where the export would go.
            if let Some(dir) = start.as_deref().and_then(|s| s.ancestors().find(|a| a.is_dir())) {
                d = d.set_directory(dir);
            }
            let path = d.pick_folder();
            let answer = if path.is_none() && started.elapsed() < NO_DIALOG_WITHIN {
                Picked::NoFolderDialog
            } else {
                kind(path)
            };
            let _ = tx.send(answer);
            wake();
        });
        match spawned {
            Ok(_) => self.picked = Some(rx),
            Err(e) => self.jobs.notify_error("Cannot open a folder dialog", &e.to_string()),
        }
    }

    pub(super) fn pick_file(&mut self, kind: fn(Option<PathBuf>) -> Picked) {
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

    pub(super) fn poll_picked(&mut self) {
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
            Picked::ScoreModel(Some(dir)) => {
                if let Some(p) = &mut self.project {
                    p.suspects.set_model(&dir);
                }
            }
            Picked::NoFolderDialog => {
                if let Dialog::Export(d) = &mut self.dialog {
                    d.no_folder_dialog();
                } else if let Some(p) = &self.project {
                    p.suspects.say("No system folder dialog is available here (it needs xdg-desktop-portal): type the model's folder.", false);
                }
            }
            Picked::Open(None)
            | Picked::New(None)
            | Picked::Import(None)
            | Picked::ExportFolder(None)
            | Picked::ScoreModel(None) => {}
        }
    }

    /// Detects the file's layout on a thread, then asks to confirm.
    pub(super) fn detect_then_confirm(&mut self, path: PathBuf) {
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
}
