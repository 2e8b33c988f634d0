//! An opened duplicate group: its samples side by side (`cards.rs`), the decisions with their keys
//! (keep the selected, keep the policy's keeper, keep all), the queue's count and a pager over the
//! samples of a large group.

use super::cards::{Roles, cards_ui};
use super::queues::{measure, pager_ui};
use super::reads::{CARDS, Counts};
use super::{CleaningPanel, show};
use crate::clean::keep::KeepPolicy;
use crate::model::words::plural;
use crate::ui::commands::{CleanKey, Command, key_text};
use crate::ui::image_view::TextureCache;
use crate::ui::shared::thousands;
use egui::RichText;

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
pub(super) fn group_ui(
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
            let text = format!("{}: {} open of {}", k.kind, thousands(k.open), thousands(k.groups));
            ui.add(egui::Label::new(RichText::new(text).weak()).extend());
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
            let step = if n > CARDS {
                pager_ui(ui, offset as u64, d.cards.len(), Some(n as u64), offset + CARDS < n, "Samples")
            } else {
                0
            };
            // The decisions above the cards: a large group's cards run below the window.
            let clicked = cards_ui(ui, r.id, &d.cards, &roles, textures);
            if step != 0 {
                let to = if step > 0 { offset + CARDS } else { offset.saturating_sub(CARDS) };
                if let Some(g) = panel.group.as_mut() {
                    g.selected = to;
                }
                panel.read_group(&ctx, id, to);
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
