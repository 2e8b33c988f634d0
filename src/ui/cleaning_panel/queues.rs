//! The Cleaning panel's parts: the toolbar that starts the passes, and the three queues, each with
//! its counts, its decision over the whole queue (counted, then confirmed) and a page of its items;
//! an opened group or hit shows its samples side by side (`cards.rs`).

use super::cards::{Roles, cards_ui};
use super::reads::{CARDS, Counts, PAGE};
use super::{CleaningPanel, show};
use crate::clean::decide::{Decision, finding_flag};
use crate::clean::keep::KeepPolicy;
use crate::model::check_kind_in_words;
use crate::model::words::plural;
use crate::store::PageFrom;
use crate::ui::commands::{CleanKey, CleanPass, Command, Confirmation, key_text};
use crate::ui::image_view::TextureCache;
use crate::ui::shared::thousands;
use egui::RichText;
use std::fmt::Write as _;

/// A group's closest links in words: " · within 4 bits" (images), " · similarity 0.85 or more".
fn measure(r: &crate::store::DupGroupRow, bits: bool) -> String {
    match r.scores {
        (_, Some(hi)) if bits => format!(" · within {hi:.0} bits"),
        (Some(lo), _) if !bits => format!(" · similarity {lo:.2} or more"),
        _ => String::new(),
    }
}

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
    let summary = format!("Settings: {} bits, similarity {:.2}, {}", d.radius, d.threshold, kinds.join(", "));
    egui::CollapsingHeader::new(summary).id_salt("dedup_settings").show(ui, |ui| {
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
fn pager_ui(ui: &mut egui::Ui, first: u64, shown: usize, total: Option<u64>, more: bool, what: &str) -> i32 {
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
        group_ui(ui, panel, counts, textures, cmds);
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
        .checkbox(&mut panel.open_only, "Open groups only (two or more samples not excluded, not kept whole)")
        .changed()
    {
        changed = true;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Keep");
        egui::ComboBox::from_id_salt("keep_policy").selected_text(panel.policy.name()).show_ui(ui, |ui| {
            for p in KeepPolicy::ALL {
                ui.selectable_value(&mut panel.policy, p, p.name());
            }
        });
    });
    let decision = Decision::Duplicates { kind: kind.clone(), policy: panel.policy };
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
        if ui.selectable_label(false, text).clicked() {
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

/// The keys of an open group, as the cheat sheet writes them.
fn keys_line() -> String {
    let k = |key| key_text(key).to_owned();
    format!(
        "{} keep the selected · {} keep the policy's keeper · {} keep all · {} / {} member · {} / {} group",
        k(egui::Key::O),
        k(egui::Key::P),
        k(egui::Key::L),
        k(egui::Key::Q),
        k(egui::Key::W),
        k(egui::Key::Comma),
        k(egui::Key::Period),
    )
}

/// An opened group: its samples side by side, the decisions with their keys.
fn group_ui(
    ui: &mut egui::Ui,
    panel: &mut CleaningPanel,
    counts: &Counts,
    textures: &mut TextureCache,
    cmds: &mut Vec<Command>,
) {
    let ctx = ui.ctx().clone();
    let mut back = false;
    let mut key = None;
    let Some(g) = panel.group.as_ref() else { return };
    let id = g.id;
    ui.horizontal_wrapped(|ui| {
        if ui.button("Back to the groups").on_hover_text("The list of groups").clicked() {
            back = true;
        }
        if ui.small_button(",").on_hover_text("Previous group").clicked() {
            key = Some(CleanKey::PrevGroup);
        }
        if ui.small_button(".").on_hover_text("Next group").clicked() {
            key = Some(CleanKey::NextGroup);
        }
        // How much of the queue is left.
        if let Some(k) = counts.kinds.iter().find(|k| Some(&k.kind) == panel.kind.as_ref()) {
            ui.weak(format!("{}: {} open of {}", k.kind, thousands(k.open), thousands(k.groups)));
        }
    });
    match g.detail.value() {
        None => {
            ui.spinner();
        }
        Some(Err(e)) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        Some(Ok(None)) => {
            ui.weak(format!("Group {id} is gone: a new pass replaced the groups."));
        }
        Some(Ok(Some(d))) => {
            let r = &d.row;
            let bits = r.kind == "image";
            let head = format!("Group {} · {} · {}{}", r.id, r.kind, plural(r.samples, "sample"), measure(r, bits));
            ui.label(RichText::new(head).strong());
            if r.reviewed {
                ui.weak("Kept whole: nothing excluded.");
            } else if !r.is_open() {
                ui.weak(format!("Decided: {} of {} left in the cleaned set.", r.included, r.samples));
            }
            ui.add(egui::Label::new(RichText::new(keys_line()).small().weak()).wrap());
            let selected = g.selected;
            let tags: Vec<Option<&str>> = d
                .cards
                .iter()
                .map(|c| {
                    (c.sample == d.keeper).then_some(if d.policy == KeepPolicy::First {
                        "keeper (first)"
                    } else {
                        "keeper"
                    })
                })
                .collect();
            let roles = Roles { selected: selected.checked_sub(d.offset), tags: &tags, bits };
            let clicked = cards_ui(ui, r.id, &d.cards, &roles, textures);
            let chosen = d.members.get(selected).copied();
            let keeper = d.keeper;
            let (offset, n) = (d.offset, d.members.len());
            let members = d.members.clone();
            ui.horizontal_wrapped(|ui| {
                if let Some(s) = chosen
                    && ui.button(format!("Keep #{s} only ({})", key_text(egui::Key::O))).clicked()
                {
                    key = Some(CleanKey::KeepSelected);
                }
                if ui
                    .button(format!("Keep #{keeper}, the {} ({})", panel.policy.name(), key_text(egui::Key::P)))
                    .clicked()
                {
                    key = Some(CleanKey::KeepByPolicy);
                }
                if ui.button(format!("Keep all ({})", key_text(egui::Key::L))).clicked() {
                    key = Some(CleanKey::KeepAll);
                }
                if r.reviewed && ui.button("Open again").on_hover_text("Take back \"keep all\"").clicked() {
                    cmds.push(Command::ReopenGroup(r.id));
                }
            });
            if n > CARDS {
                let step = pager_ui(ui, offset as u64, d.cards.len(), Some(n as u64), offset + CARDS < n, "Samples");
                if step != 0 {
                    let to = if step > 0 { offset + CARDS } else { offset.saturating_sub(CARDS) };
                    if let Some(g) = panel.group.as_mut() {
                        g.selected = to;
                    }
                    panel.read_group(&ctx, id, to);
                }
            }
            if let Some(i) = clicked {
                let at = offset + i;
                if let Some(g) = panel.group.as_mut() {
                    g.selected = at;
                }
                cmds.push(show(members[at], &members));
            }
        }
    }
    if back {
        panel.group = None;
    }
    if let Some(k) = key {
        cmds.extend(panel.key(&ctx, k));
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
        let what = if h.by == "prompt" {
            format!("similarity {:.2}", 1.0 - h.distance)
        } else {
            format!("{:.0} bits", h.distance)
        };
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
        let d = if r.hit.by == "prompt" {
            format!("similarity {:.2}", 1.0 - r.hit.distance)
        } else {
            format!("{:.0} bits", r.hit.distance)
        };
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
        if ui.selectable_label(false, text).clicked() {
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
