//! Samples side by side as cards: each with its dataset, position and key, its first image (the
//! sample view's texture cache and zoom widget), its video and audio in words, its prompt (or the
//! duplicated response) with the words the keeper's lacks marked (the sample view's word diff),
//! its closest link and its curation marks. As many cards a row as the panel's width holds (one
//! a row when narrow), further rows below.

use super::reads::Card;
use crate::ui::diff::marked_label;
use crate::ui::image_view::{ImageEntry, TextureCache, image_ui};
use crate::ui::theme;
use egui::{RichText, vec2};

/// A card's least width: below it, one card a row.
const CARD_MIN: f32 = 200.0;
/// The most height a card's image takes.
const IMAGE_MAX: f32 = 180.0;

/// What a card is in its group.
pub(super) struct Roles<'a> {
    /// The index of the selected card (highlighted).
    pub selected: Option<usize>,
    /// A word per card shown before its marks (`keeper`, `reference`).
    pub tags: &'a [Option<&'a str>],
    /// Images: the score is bits apart; else a similarity.
    pub bits: bool,
}

/// Draws `cards`; returns the index of the card clicked.
pub(super) fn cards_ui(
    ui: &mut egui::Ui,
    salt: i64,
    cards: &[Card],
    roles: &Roles<'_>,
    textures: &mut TextureCache,
) -> Option<usize> {
    let mut clicked = None;
    let gap = ui.spacing().item_spacing.x;
    let room = ui.available_width();
    let columns = (((room + gap) / (CARD_MIN + gap)).floor() as usize).clamp(1, cards.len().max(1));
    let width = ((room - gap * (columns - 1) as f32) / columns as f32).max(80.0);
    for (row, chunk) in cards.chunks(columns).enumerate() {
        ui.horizontal_top(|ui| {
            for (i, card) in chunk.iter().enumerate() {
                let index = row * columns + i;
                // Each card top-down in its column (a child of a row would lay its parts out in a row).
                ui.allocate_ui_with_layout(vec2(width, 0.0), egui::Layout::top_down(egui::Align::LEFT), |ui| {
                    ui.set_width(width);
                    let tag = roles.tags.get(index).copied().flatten();
                    if card_ui(ui, (salt, index), card, roles.selected == Some(index), tag, roles.bits, textures) {
                        clicked = Some(index);
                    }
                });
            }
        });
        ui.add_space(4.0);
    }
    clicked
}

/// One card; returns whether its header was clicked.
fn card_ui(
    ui: &mut egui::Ui,
    salt: (i64, usize),
    card: &Card,
    selected: bool,
    tag: Option<&str>,
    bits: bool,
    textures: &mut TextureCache,
) -> bool {
    let stroke = if selected {
        egui::Stroke::new(2.0, ui.visuals().selection.stroke.color)
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    let mut clicked = false;
    egui::Frame::group(ui.style()).stroke(stroke).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let title = match &card.place {
            Some(p) => format!("#{} · {} {}", card.sample, p.dataset_name, p.position),
            None => format!("#{}", card.sample),
        };
        clicked = ui
            .add(egui::Button::selectable(selected, RichText::new(title).strong()).wrap())
            .on_hover_text("Show this sample in the sample view")
            .clicked();
        ui.horizontal_wrapped(|ui| {
            if let Some(t) = tag {
                let color = match t {
                    "contaminated" => theme::FLAG,
                    "reference" => theme::ORIGINAL,
                    _ => theme::CURATED,
                };
                theme::badge(ui, t, color);
            }
            if let Some(r) = &card.excluded {
                theme::badge(ui, &format!("excluded: {r}"), theme::MUTED);
            }
            if let Some(f) = &card.flag {
                theme::badge(ui, &format!("flagged: {f}"), theme::FLAG);
            }
            if let Some(k) = card.place.as_ref().and_then(|p| p.key.as_ref()) {
                ui.weak(format!("key {k}"));
            }
            match (card.score, bits) {
                (Some(s), true) if s < 0.5 => ui.weak("identical to another"),
                (Some(s), true) => ui.weak(format!("{s:.0} bits from the closest")),
                (Some(s), false) if s > 0.9995 => ui.weak("the same as another"),
                (Some(s), false) => ui.weak(format!("similarity {s:.2} to the closest")),
                (None, _) => ui.weak(""),
            };
        });
        image_part_ui(ui, salt, card, textures);
        for m in &card.media {
            ui.add(egui::Label::new(RichText::new(m).small()).wrap());
        }
        ui.label(RichText::new(&card.text_title).small().strong());
        if card.text.text.is_empty() {
            ui.weak("(empty)");
        } else {
            marked_label(ui, &card.text, theme::DIFF_NEUTRAL);
        }
    });
    clicked
}

fn image_part_ui(ui: &mut egui::Ui, salt: (i64, usize), card: &Card, textures: &mut TextureCache) {
    if let Some(problem) = &card.media_problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    let Some(source) = &card.image else { return };
    let max = vec2(ui.available_width(), IMAGE_MAX);
    match textures.get(source) {
        ImageEntry::Pending => {
            let (rect, _) = ui.allocate_exact_size(vec2(max.x.min(160.0), 90.0), egui::Sense::hover());
            ui.put(rect, egui::Spinner::new());
        }
        ImageEntry::Failed(e) => {
            ui.colored_label(ui.visuals().error_fg_color, format!("cannot show image: {e}"));
        }
        ImageEntry::Ready { texture, original, preview } => {
            let id = egui::Id::unique(("cleaning-card", salt.0, salt.1, card.sample.0));
            let (_, magnified) = image_ui(ui, id, &texture, original, max);
            if preview && magnified {
                textures.want_full(source);
            }
        }
    }
    if card.images > 1 {
        ui.weak(format!("the first of {}", crate::model::words::plural(card.images as u64, "image")));
    }
}
