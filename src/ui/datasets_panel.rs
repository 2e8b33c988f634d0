//! The Datasets panel (`D`): each dataset of the project with its counts (samples, modalities,
//! judgments, media by status) and its import report, read on a thread with its own connection;
//! its buttons ask to remove a dataset or to point its media at the folder they moved to (both
//! confirmed in a dialog, both run as jobs through the store's write path).

use super::background::Background;
use super::commands::Command;
use crate::model::Severity;
use crate::model::words::plural;
use crate::store::{DatasetInfo, DatasetStatus, DatasetSummary, ImportIssue, Store};
use egui::RichText;
use std::path::Path;

/// Report lines listed per dataset.
const ISSUES_SHOWN: usize = 50;

/// One dataset as the panel shows it.
pub struct DatasetEntry {
    /// Its counts.
    pub summary: DatasetSummary,
    /// The first lines of its import report.
    pub issues: Vec<ImportIssue>,
}

/// The panel's state.
#[derive(Default)]
pub struct DatasetsPanel {
    loaded: Background<Vec<DatasetEntry>>,
}

impl DatasetsPanel {
    /// Starts reading the datasets of `project` (again).
    pub fn refresh(&mut self, project: &Path, wake: impl Fn() + Send + 'static) {
        self.loaded.start("datasets", project, read, wake);
    }

    /// Picks up a finished read.
    pub fn poll(&mut self) {
        self.loaded.poll();
    }

    /// Draws the panel; returns the commands its buttons ask for (a refresh included).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> (Vec<Command>, bool) {
        let mut cmds = Vec::new();
        let mut refresh = false;
        ui.horizontal(|ui| {
            ui.heading("Datasets");
            if self.loaded.is_loading() {
                ui.spinner();
            } else if ui.button("Refresh").clicked() {
                refresh = true;
            }
        });
        match self.loaded.value() {
            None => {
                ui.weak("Reading…");
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(Ok(entries)) if entries.is_empty() => {
                ui.weak("No dataset yet: File > Import, or drop a file or a save_to_disk folder on the window.");
            }
            Some(Ok(entries)) => {
                egui::ScrollArea::vertical().id_salt("datasets").show(ui, |ui| {
                    for e in entries {
                        entry_ui(ui, e, &mut cmds);
                        ui.separator();
                    }
                });
            }
        }
        (cmds, refresh)
    }
}

fn read(path: &Path) -> crate::store::Result<Vec<DatasetEntry>> {
    let store = Store::open(path)?;
    let mut out = Vec::new();
    for summary in store.dataset_summaries()? {
        let issues = store.import_issues(summary.info.id, ISSUES_SHOWN)?;
        out.push(DatasetEntry { summary, issues });
    }
    Ok(out)
}

fn entry_ui(ui: &mut egui::Ui, e: &DatasetEntry, cmds: &mut Vec<Command>) {
    let d = &e.summary;
    let i = &d.info;
    ui.label(RichText::new(format!("{} (dataset {})", i.name, i.id)).strong());
    ui.label(format!("{} · {} · {}", plural(i.sample_count, "sample"), i.preset, i.format));
    if let DatasetStatus::Importing { rows_done } = i.status {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("interrupted after {}: import the file again to resume", plural(rows_done, "row")),
        );
    }
    ui.add(egui::Label::new(RichText::new(&i.source_path).small()).wrap());
    if let Some(root) = &i.media_root {
        ui.add(egui::Label::new(RichText::new(format!("media folder {root}")).small()).wrap());
    }
    let join = |items: Vec<String>| if items.is_empty() { "none".to_owned() } else { items.join(", ") };
    ui.label(format!("modalities: {}", join(d.modalities.iter().map(|(m, n)| format!("{m} {n}")).collect())));
    ui.label(format!("judgments: {}", join(d.judgment_kinds.iter().map(|(k, l, n)| format!("{k}/{l} {n}")).collect())));
    ui.label(format!("media: {}", join(d.media_status.iter().map(|(s, n)| format!("{s} {n}")).collect())));
    let report = format!("Import report: {}, {}", plural(i.error_count, "error"), plural(i.warning_count, "warning"));
    if e.issues.is_empty() {
        ui.weak(report);
    } else {
        egui::CollapsingHeader::new(report).id_salt(("report", i.id)).show(ui, |ui| {
            let file = DatasetInfo::file_label(&i.source_path);
            for issue in &e.issues {
                let line = issue.line(&file, &i.format);
                let text = RichText::new(line).small();
                ui.add(
                    egui::Label::new(if issue.severity == Severity::Error {
                        text.color(ui.visuals().error_fg_color)
                    } else {
                        text
                    })
                    .wrap(),
                );
            }
            let listed = e.issues.len() as u64;
            if listed < i.error_count + i.warning_count {
                ui.weak(format!("… {} more (verdict info --errors N)", i.error_count + i.warning_count - listed));
            }
        });
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button("Media moved…").on_hover_text("Point its media at the folder they are in now").clicked() {
            cmds.push(Command::AskRelink(i.id, i.name.clone()));
        }
        if ui.button("Remove…").on_hover_text("Remove the dataset and its curation (asks first)").clicked() {
            cmds.push(Command::AskRemoveDataset(i.id, i.name.clone(), i.sample_count));
        }
    });
}
