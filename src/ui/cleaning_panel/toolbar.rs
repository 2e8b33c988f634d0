//! The Cleaning panel's toolbar: the passes' buttons (Find duplicates with its settings, Check,
//! Contamination against a dataset picked from the project's, confirmed first; a reference set
//! forgotten), and the passes' last runs.

use super::CleaningPanel;
use crate::model::words::plural;
use crate::ui::commands::{CleanPass, Command, Confirmation};
use egui::RichText;

/// The passes' buttons, the duplicate finder's settings and the passes' last runs.
pub(super) fn toolbar_ui(ui: &mut egui::Ui, panel: &mut CleaningPanel, cmds: &mut Vec<Command>) {
    let problem = panel.dedup.problem();
    ui.horizontal_wrapped(|ui| {
        let find = ui
            .add_enabled(problem.is_none(), egui::Button::new("Find duplicates"))
            .on_hover_text("Images, video, audio and text near duplicates, with the settings below (verdict dedup)");
        if find.clicked() {
            cmds.push(Command::RunClean(Box::new(CleanPass::Dedup(panel.dedup.clone()))));
        }
        if ui.button("Check").on_hover_text("Consistency and media checks (verdict check)").clicked() {
            cmds.push(Command::RunClean(Box::new(CleanPass::Check)));
        }
        ui.menu_button("Contamination…", |ui| reference_menu_ui(ui, panel, cmds));
    });
    let d = &mut panel.dedup;
    let mut kinds: Vec<&str> = Vec::new();
    for (on, name) in [
        (d.images, "images"),
        (d.video, "video"),
        (d.audio, "audio"),
        (d.prompts, "prompts"),
        (d.responses, "responses"),
    ] {
        if on {
            kinds.push(name);
        }
    }
    let summary = format!("{} bits, similarity {:.2}, {}", d.radius, d.threshold, kinds.join(", "));
    // The header's text does not wrap: short, with the settings in a wrapped line under it.
    let settings = egui::CollapsingHeader::new("Duplicate settings").id_salt("dedup_settings").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut d.radius).range(0..=32).suffix(" bits"));
            ui.label("image radius (of 64 bits)");
        });
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut d.threshold).range(0.05..=1.0).speed(0.01).fixed_decimals(2));
            ui.label("text similarity (Jaccard of word shingles)");
        });
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut d.images, "images");
            ui.checkbox(&mut d.video, "video");
            ui.checkbox(&mut d.audio, "audio");
            ui.checkbox(&mut d.prompts, "prompts");
            ui.checkbox(&mut d.responses, "responses");
        });
        if ui.small_button("Defaults (10 bits, 0.80, all)").clicked() {
            *d = crate::ui::commands::DedupRequest::default();
        }
    });
    if settings.body_returned.is_none() {
        ui.add(egui::Label::new(RichText::new(summary).small().weak()).wrap());
    }
    if let Some(p) = problem {
        ui.colored_label(ui.visuals().warn_fg_color, p);
    }
    if let Some(Ok(c)) = panel.counts.value() {
        let runs: Vec<String> = c
            .runs
            .iter()
            .map(|r| {
                let name = match r.kind.strip_prefix("contamination:") {
                    Some(id) => {
                        let named = c.datasets.iter().find(|d| d.0.0.to_string() == id).map(|d| d.1.as_str());
                        format!("contamination by {}", named.unwrap_or(id))
                    }
                    None if r.kind == "dedup" => "duplicates".to_owned(),
                    None => r.kind.clone(),
                };
                let when =
                    r.finished_at.as_deref().map_or("not finished (cancelled or running)".to_owned(), short_time);
                format!("{name} {when}")
            })
            .collect();
        if !runs.is_empty() {
            ui.add(egui::Label::new(RichText::new(format!("Last: {}", runs.join(" · "))).small().weak()).wrap());
        }
    }
}

/// `2026-05-01T12:03:04.123Z` as `2026-05-01 12:03 UTC`.
fn short_time(iso: &str) -> String {
    match (iso.get(..10), iso.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => iso.to_owned(),
    }
}

fn reference_menu_ui(ui: &mut egui::Ui, panel: &CleaningPanel, cmds: &mut Vec<Command>) {
    let Some(Ok(c)) = panel.counts.value() else {
        ui.weak("Reading the datasets…");
        return;
    };
    ui.label("Compare every other dataset with:");
    for (id, name, samples, reference) in &c.datasets {
        let text =
            format!("{name} ({}){}", plural(*samples, "sample"), if *reference { " · reference set" } else { "" });
        if ui.button(text).clicked() {
            let pass = CleanPass::Contamination { reference: *id, name: name.clone(), settings: panel.dedup.clone() };
            cmds.push(Command::Confirm(Box::new(Confirmation {
                title: format!("Compare with {name}"),
                lines: vec![
                    format!("{name} is marked as a reference set (an evaluation benchmark): never exported, never a duplicate of its own members."),
                    format!(
                        "Every sample of the other datasets that nearly duplicates one of its members by image ({} bits) or prompt (similarity {:.2}) is listed under Contamination.",
                        panel.dedup.radius, panel.dedup.threshold
                    ),
                    "Nothing is excluded until you say so.".into(),
                ],
                yes: "Compare".into(),
                then: Command::RunClean(Box::new(pass)),
            })));
            ui.close();
        }
    }
    let references: Vec<_> = c.datasets.iter().filter(|d| d.3).collect();
    if !references.is_empty() {
        ui.separator();
        for (id, name, ..) in references {
            if ui
                .button(format!("{name}: a reference set no more"))
                .on_hover_text("Exported again; its hits are dropped; exclusions made stay (U takes them back)")
                .clicked()
            {
                cmds.push(Command::RunClean(Box::new(CleanPass::Forget { reference: *id, name: name.clone() })));
                ui.close();
            }
        }
    }
}
