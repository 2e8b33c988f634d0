//! Colours and small styled pieces shared by the panels.

use egui::{Color32, RichText};

/// The dataset's own judgment.
pub const ORIGINAL: Color32 = Color32::from_rgb(0x3a, 0x6e, 0xa5);
/// A curator's judgment.
pub const CURATED: Color32 = Color32::from_rgb(0x2e, 0x8b, 0x57);
/// Flags and "both bad".
pub const FLAG: Color32 = Color32::from_rgb(0xc0, 0x50, 0x30);
/// Neutral badges.
pub const MUTED: Color32 = Color32::from_rgb(0x60, 0x60, 0x68);
/// Background of words only in A.
pub const DIFF_A: Color32 = Color32::from_rgba_premultiplied(0x70, 0x20, 0x20, 0x90);
/// Background of words only in B.
pub const DIFF_B: Color32 = Color32::from_rgba_premultiplied(0x20, 0x60, 0x28, 0x90);

/// A rounded label on a coloured background.
pub fn badge(ui: &mut egui::Ui, text: &str, color: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(color)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| ui.label(RichText::new(text).color(Color32::WHITE).small()))
        .response
}
