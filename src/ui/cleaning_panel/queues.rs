//! The Cleaning panel's three queues, each with its counts, its decision over the whole queue
//! (counted, then confirmed) and a page of its items: duplicate groups by kind (an opened group in
//! `group_view.rs`), contamination hits (an opened hit's two samples side by side), check findings
//! by kind.

use super::cards::{Roles, cards_ui};
use super::reads::{Counts, PAGE};
use super::{CleaningPanel, show};
use crate::clean::decide::{Decision, finding_flag};
use crate::clean::keep::KeepPolicy;
use crate::model::check_kind_in_words;
use crate::model::words::plural;
use crate::store::PageFrom;
use crate::ui::commands::Command;
use crate::ui::image_view::TextureCache;
use crate::ui::shared::thousands;
use egui::RichText;
use std::fmt::Write as _;

/// A group's closest links in words: " · within 4 bits" (images), " · similarity 0.85 or more".
pub(super) fn measure(r: &crate::store::DupGroupRow, bits: bool) -> String {
    match r.scores {
        (_, Some(hi)) if bits && hi < 0.5 => " · the same image".to_owned(),
        (_, Some(hi)) if bits => format!(" · within {hi:.0} bits"),
        (Some(lo), _) if !bits && lo > 0.9995 => " · the same".to_owned(),
        (Some(lo), _) if !bits => format!(" · similarity {lo:.2} or more"),
        _ => String::new(),
    }
}

/// The decision button over a whole queue, its note (nothing to change, a failed count).
fn decide_button(ui: &mut egui::Ui, panel: &mut CleaningPanel, text: &str, decision: Decision) {
    let counting = panel.confirm_pending && panel.preview.is_loading();
    ui.horizontal_wrapped(|ui| {
        if ui.add_enabled(!counting, egui::Button::new(text)).clicked() {
            let ctx = ui.ctx().clone();
            panel.ask(&ctx, decision);
        }
        if counting {
            ui.spinner();
            ui.weak("counting…");
        }
    });
    if let Some(n) = &panel.note {
        ui.weak(n);
    }
}

/// A pager: "51–100 of 1,204" with buttons; returns -1, 0 or 1.
pub(super) fn pager_ui(ui: &mut egui::Ui, first: u64, shown: usize, total: Option<u64>, more: bool, what: &str) -> i32 {
    let mut step = 0;
    ui.horizontal(|ui| {
        let range = if shown == 0 {
            format!("No {what}")
        } else {
            let end = first + shown as u64;
            match total {
                Some(t) => format!("{what} {}–{} of {}", thousands(first + 1), thousands(end), thousands(t.max(end))),
                None => format!("{what} {}–{}", thousands(first + 1), thousands(end)),
            }
        };
        ui.label(range);
        if ui.add_enabled(first > 0, egui::Button::new("Previous").small()).on_hover_text("The page before").clicked() {
            step = -1;
        }
        if ui.add_enabled(more, egui::Button::new("Next").small()).on_hover_text("The page after").clicked() {
            step = 1;
        }
    });
    step
}

/// The duplicate groups: the kind picker with counts, the bulk decision, a page of groups; an
/// opened group's samples side by side.
pub(super) fn duplicates_ui(
    ui: &mut egui::Ui,
    panel: &mut CleaningPanel,
    counts: &Counts,
    textures: &mut TextureCache,
    cmds: &mut Vec<Command>,
) {
    let ctx = ui.ctx().clone();
    if counts.kinds.is_empty() {
        ui.weak("No duplicate groups: Find duplicates runs the passes (so does `verdict dedup`).");
        return;
    }
    if panel.group.is_some() {
        super::group_view::group_ui(ui, panel, counts, textures, cmds);
        return;
    }
    let Some(kind) = panel.kind.clone() else { return };
    let mut changed = false;
    let current = counts.kinds.iter().find(|k| k.kind == kind);
    ui.horizontal_wrapped(|ui| {
        for k in &counts.kinds {
            let text = format!("{}: {} open of {}", k.kind, thousands(k.open), thousands(k.groups));
            let hover = format!(
                "{} of {} with two or more samples in the cleaned set and not kept whole",
                thousands(k.open),
                plural(k.groups, "group")
            );
            if ui.selectable_label(k.kind == kind, text).on_hover_text(hover).clicked() && k.kind != kind {
                panel.kind = Some(k.kind.clone());
                changed = true;
            }
        }
    });
    if ui
        .checkbox(&mut panel.open_only, "Open groups only")
        .on_hover_text("Groups with two or more samples in the cleaned set (not excluded) that no one kept whole")
        .changed()
    {
        changed = true;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Keep");
        egui::ComboBox::from_id_salt("keep_policy").selected_text(panel.policy.name()).show_ui(ui, |ui| {
            for p in KeepPolicy::ALL {
                let name = p.name();
                ui.selectable_value(&mut panel.policy, p, name);
            }
        });
    });
    let decision = Decision::Duplicates { kind: kind.clone(), policy: panel.policy.clone() };
    decide_button(ui, panel, &format!("Exclude the extras of every {kind} group…"), decision);
    if changed {
        panel.from = PageFrom::Start;
        panel.note = None;
        panel.read_queue(&ctx);
    }
    ui.separator();
    let Some(Ok(page)) = panel.page.value().filter(|p| p.as_ref().is_ok_and(|p| p.kind == kind)) else {
        if let Some(Err(e)) = panel.page.value() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else {
            ui.spinner();
        }
        return;
    };
    let total = current.map(|k| if panel.open_only { k.open } else { k.groups });
    let (first_id, last_id) = (page.rows.first().map(|r| r.id), page.rows.last().map(|r| r.id));
    let step = pager_ui(ui, page.first, page.rows.len(), total, page.more, "Groups");
    if page.rows.is_empty() && panel.open_only {
        ui.weak(format!("Every {kind} group is decided: untick \"Open groups only\" to see them all."));
    }
    let bits = kind == "image";
    let mut open = None;
    for r in &page.rows {
        let mut text = format!("Group {} · {}{}", r.id, plural(r.samples, "sample"), measure(r, bits));
        if r.reviewed {
            text.push_str(" · kept whole");
        } else if r.included < r.samples {
            let _ = write!(text, " · {} of {} left in", r.included, r.samples);
        }
        if ui.add(egui::Button::selectable(false, text).wrap()).clicked() {
            open = Some(r.id);
        }
    }
    match step {
        1 => {
            panel.from = last_id.map_or(PageFrom::Start, PageFrom::After);
            panel.read_queue(&ctx);
        }
        -1 => {
            panel.from = first_id.map_or(PageFrom::Start, PageFrom::Before);
            panel.read_queue(&ctx);
        }
        _ => {}
    }
    if let Some(id) = open {
        panel.open_group(&ctx, id);
    }
}

/// How close a hit is, in words: a prompt's similarity, an image's bits (the same image at 0).
fn hit_measure(h: &crate::store::ContaminationHit) -> String {
    match h.by.as_str() {
        "prompt" => format!("similarity {:.2}", 1.0 - h.distance),
        // By both: the smaller of the image's bits and the prompt's 1 - similarity.
        _ if h.distance < 0.5 => "the same image".to_owned(),
        _ => format!("{:.0} bits", h.distance),
    }
}

/// The contamination hits: the bulk exclusion, a page of hits; an opened hit's two samples.
pub(super) fn contamination_ui(
    ui: &mut egui::Ui,
    panel: &mut CleaningPanel,
    counts: &Counts,
    textures: &mut TextureCache,
    cmds: &mut Vec<Command>,
) {
    let ctx = ui.ctx().clone();
    let (hits, samples, included) = counts.contamination;
    if hits == 0 {
        ui.weak("No contamination hits: Contamination… compares the project with a reference dataset (an evaluation benchmark imported like any dataset).");
        return;
    }
    ui.label(format!(
        "{} on {}, {} still in the cleaned set",
        plural(hits, "hit"),
        plural(samples, "sample"),
        thousands(included)
    ));
    decide_button(ui, panel, "Exclude every contaminated sample…", Decision::Contaminated);
    ui.separator();
    if let Some(open) = &panel.hit {
        let mut back = false;
        if ui.button("Back to the hits").clicked() {
            back = true;
        }
        let h = &open.hit;
        let what = hit_measure(h);
        ui.label(
            RichText::new(format!("#{} matches reference #{} by {} ({what})", h.sample, h.reference, h.by)).strong(),
        );
        match open.cards.value() {
            None => {
                ui.spinner();
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(Ok(cards)) => {
                let roles =
                    Roles { selected: None, tags: &[Some("contaminated"), Some("reference")], bits: h.by != "prompt" };
                if let Some(i) = cards_ui(ui, -1, cards, &roles, textures) {
                    let id = cards[i].sample;
                    cmds.push(show(id, &[id]));
                }
            }
        }
        if back {
            panel.hit = None;
        }
        return;
    }
    let Some(Ok(page)) = panel.hits.value() else {
        if let Some(Err(e)) = panel.hits.value() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else {
            ui.spinner();
        }
        return;
    };
    let step =
        pager_ui(ui, page.offset, page.rows.len(), Some(hits), page.offset + (page.rows.len() as u64) < hits, "Hits");
    let mut open = None;
    for r in &page.rows {
        let at = |p: &Option<crate::store::SamplePlace>| {
            p.as_ref().map_or(String::new(), |p| format!(" ({} {})", p.dataset_name, p.position))
        };
        let d = hit_measure(&r.hit);
        let mut text = format!(
            "#{}{} matches #{}{} · by {} · {d}",
            r.hit.sample,
            at(&r.sample),
            r.hit.reference,
            at(&r.reference),
            r.hit.by
        );
        if let Some(e) = &r.excluded {
            let _ = write!(text, " · excluded: {e}");
        }
        if ui.add(egui::Button::selectable(false, text).wrap()).clicked() {
            open = Some(r.hit.clone());
        }
    }
    if step != 0 {
        panel.hits_offset = if step > 0 { page.offset + PAGE as u64 } else { page.offset.saturating_sub(PAGE as u64) };
        panel.read_queue(&ctx);
    }
    if let Some(h) = open {
        let id = h.sample;
        panel.open_hit(&ctx, h);
        cmds.push(show(id, &[id]));
    }
}

/// The check findings: the kind picker with counts, the kind in words, the bulk flag or exclusion,
/// a page of findings (a click shows the sample).
pub(super) fn findings_ui(ui: &mut egui::Ui, panel: &mut CleaningPanel, counts: &Counts, cmds: &mut Vec<Command>) {
    let ctx = ui.ctx().clone();
    if counts.findings.is_empty() {
        ui.weak("No findings: Check runs the consistency and media checks (so does `verdict check`).");
        return;
    }
    let Some(kind) = panel.finding_kind.clone() else { return };
    let current = counts.findings.iter().find(|f| f.0 == kind);
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        for (k, n, s) in &counts.findings {
            let hover = format!("{} on {}", plural(*n, "finding"), plural(*s, "sample"));
            if ui
                .selectable_label(*k == kind, format!("{}: {}", finding_flag(k), thousands(*n)))
                .on_hover_text(hover)
                .clicked()
                && *k != kind
            {
                panel.finding_kind = Some(k.clone());
                changed = true;
            }
        }
    });
    ui.add(egui::Label::new(RichText::new(check_kind_in_words(&kind)).weak()).wrap());
    let decision = Decision::Findings { kind: kind.clone() };
    let button = match decision.action() {
        crate::store::CurationAction::Exclude(r) => format!("Exclude every sample with this finding ({r})…"),
        _ => format!("Flag every sample with this finding (\"{}\")…", finding_flag(&kind)),
    };
    decide_button(ui, panel, &button, decision);
    if changed {
        panel.findings_offset = 0;
        panel.note = None;
        panel.read_queue(&ctx);
    }
    ui.separator();
    let Some(Ok(page)) = panel.findings.value().filter(|p| p.as_ref().is_ok_and(|p| p.kind == kind)) else {
        if let Some(Err(e)) = panel.findings.value() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        } else {
            ui.spinner();
        }
        return;
    };
    let total = current.map_or(0, |c| c.1);
    let step = pager_ui(
        ui,
        page.offset,
        page.rows.len(),
        Some(total),
        page.offset + (page.rows.len() as u64) < total,
        "Findings",
    );
    for r in &page.rows {
        let f = &r.finding;
        let at = r.place.as_ref().map_or(String::new(), |p| format!(" · {} {}", p.dataset_name, p.position));
        let mut text = format!("#{}{at}: {}", f.sample, f.detail);
        if let Some(x) = &r.excluded {
            let _ = write!(text, " · excluded: {x}");
        } else if let Some(x) = &r.flag {
            let _ = write!(text, " · flagged: {x}");
        }
        if ui.add(egui::Button::selectable(false, text).wrap()).on_hover_text("Show this sample").clicked() {
            let mut among = vec![f.sample];
            among.extend(f.other);
            cmds.push(show(f.sample, &among));
        }
    }
    if step != 0 {
        panel.findings_offset =
            if step > 0 { page.offset + PAGE as u64 } else { page.offset.saturating_sub(PAGE as u64) };
        panel.read_queue(&ctx);
    }
}
