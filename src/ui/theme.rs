//! Colours and small styled pieces shared by the panels.

use egui::{Color32, FontId, Role, Sense, TextStyle, WidgetInfo, vec2};

/// The dataset's own judgment.
pub const ORIGINAL: Color32 = Color32::from_rgb(0x3a, 0x6e, 0xa5);
/// A curator's judgment.
pub const CURATED: Color32 = Color32::from_rgb(0x2e, 0x8b, 0x57);
/// Flags and "both bad".
pub const FLAG: Color32 = Color32::from_rgb(0xc0, 0x50, 0x30);
/// A scoring model's numbers (the candidate headers' scores).
pub const MODEL: Color32 = Color32::from_rgb(0x9a, 0x7a, 0xd0);
/// Neutral badges.
pub const MUTED: Color32 = Color32::from_rgb(0x60, 0x60, 0x68);
/// Background of the words only the chosen answer has (the current label's chosen side).
pub const DIFF_CHOSEN: Color32 = Color32::from_rgba_premultiplied(0x20, 0x60, 0x28, 0x90);
/// Background of the words only the rejected answer has.
pub const DIFF_REJECTED: Color32 = Color32::from_rgba_premultiplied(0x70, 0x20, 0x20, 0x90);
/// Background of differing words when no side is preferred (tie, both bad, no label).
pub const DIFF_NEUTRAL: Color32 = Color32::from_rgba_premultiplied(0x50, 0x50, 0x20, 0x90);

/// Space between a badge's text and its edge.
const BADGE_MARGIN: egui::Vec2 = vec2(6.0, 2.0);

/// A rounded label on a coloured background. It is one widget of its own size: in a wrapping
/// row it moves to the next line whole when it does not fit (a frame around a label would wrap
/// the label into whatever is left of the row, down to a letter per line). Only a badge wider
/// than the whole row wraps, between words.
pub fn badge(ui: &mut egui::Ui, text: &str, color: Color32) -> egui::Response {
    let font: FontId = TextStyle::Small.resolve(ui.style());
    let wrap_at = (ui.max_rect().width() - 2.0 * BADGE_MARGIN.x).max(1.0);
    let galley = ui.painter().layout(text.to_owned(), font, Color32::WHITE, wrap_at);
    let (rect, response) = ui.allocate_exact_size(galley.size() + 2.0 * BADGE_MARGIN, Sense::hover());
    if ui.is_rect_visible(rect) {
        ui.painter().rect_filled(rect, 4.0, color);
        ui.painter().galley(rect.min + BADGE_MARGIN, galley, Color32::WHITE);
    }
    response.widget_info(|| WidgetInfo::labeled(Role::Label, true, text));
    response
}
