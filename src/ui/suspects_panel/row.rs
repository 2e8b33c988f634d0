//! One suspect a line: what names the pair on the left, cut with `…` to the room there is, and its
//! margin and probability in columns of their own on the right, so the numbers the queue is
//! ranked by stay whole however narrow the panel (the whole pair on hover).

use crate::score::suspects::Suspect;

/// Widths of the margin column (`-0.454`) and of the probability column (`0.45`).
const NUMBER_WIDTHS: [f32; 2] = [56.0, 40.0];
/// Space left of the pair's name and between columns.
const PAD: f32 = 4.0;
/// Space right of the numbers, clear of the scroll bar.
const RIGHT_PAD: f32 = 10.0;

/// The column headings, over the rows' columns.
pub fn header_ui(ui: &mut egui::Ui) {
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), row_height(ui)), egui::Sense::hover());
    let color = ui.visuals().weak_text_color();
    let cells = ["sample · dataset · position · label", "margin", "p"];
    paint_cells(ui, rect, &cells.map(str::to_owned), color);
    response.on_hover_text(
        "margin: the model's score of the label's chosen answer less its rejected one's (below 0: the model \
         disagrees); p: the probability that the label is right (Bradley-Terry)",
    );
}

/// One pair's line; `selected` when its sample is shown. Clicked: the response.
pub fn row_ui(ui: &mut egui::Ui, r: &Suspect, selected: bool) -> egui::Response {
    let p = &r.pair;
    let name = format!("#{} · {} · {} · {}", p.sample, p.dataset, p.position, p.label);
    let (margin, probability) = (format!("{:+.3}", p.margin), format!("{:.2}", r.probability));
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), row_height(ui)), egui::Sense::click());
    let whole = format!("{name} · {margin} · p {probability}");
    response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, &whole));
    if ui.is_rect_visible(rect) {
        let visuals = ui.visuals();
        let fill = if selected {
            Some(visuals.selection.bg_fill)
        } else if response.hovered() || response.has_focus() {
            Some(visuals.widgets.hovered.bg_fill)
        } else {
            None
        };
        if let Some(fill) = fill {
            ui.painter().rect_filled(rect, 2.0, fill);
        }
        let color = if selected { visuals.selection.stroke.color } else { visuals.text_color() };
        paint_cells(ui, rect, &[name, margin, probability], color);
    }
    response.on_hover_text(format!(
        "Sample {} ({}), key {}: the label prefers {} over {}; the model's margin {:+.4}, probability that the label \
         is right {:.3}",
        p.sample,
        p.position,
        p.key.as_deref().unwrap_or("none"),
        crate::ui::shared::letter(p.chosen),
        crate::ui::shared::letter(p.rejected),
        p.margin,
        r.probability
    ))
}

pub(super) fn row_height(ui: &egui::Ui) -> f32 {
    ui.text_style_height(&egui::TextStyle::Body) + 2.0 * ui.spacing().button_padding.y
}

/// Paints `cells` in `rect`: the first, the pair's name, on the left, cut to what the number
/// columns leave; the others right-aligned in their columns at the right end.
fn paint_cells(ui: &egui::Ui, rect: egui::Rect, cells: &[String; 3], color: egui::Color32) {
    paint_columns(ui, rect, cells, &NUMBER_WIDTHS, color);
}

/// Paints `cells` in `rect`: the first on the left, cut with `…` to what the columns of `widths`
/// (one per other cell) leave; the others right-aligned in those columns at the right end.
pub(super) fn paint_columns(ui: &egui::Ui, rect: egui::Rect, cells: &[String], widths: &[f32], color: egui::Color32) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let numbers_left = rect.right() - RIGHT_PAD - widths.iter().sum::<f32>();
    for (column, text) in cells.iter().enumerate() {
        let (width, anchor, x) = if column == 0 {
            (numbers_left - rect.left() - PAD, egui::Align2::LEFT_CENTER, rect.left() + PAD)
        } else {
            let right = numbers_left + widths[..column].iter().sum::<f32>();
            (widths[column - 1] - PAD, egui::Align2::RIGHT_CENTER, right)
        };
        let mut job = egui::text::LayoutJob::simple_singleline(text.clone(), font.clone(), color);
        job.wrap = egui::text::TextWrapping::truncate_at_width(width.max(0.0));
        let galley = ui.fonts_mut(|f| f.layout_job(job));
        let at = anchor.anchor_size(egui::pos2(x, rect.center().y), galley.size()).min;
        ui.painter().galley(at, galley, color);
    }
}
