//! The statistics panel: judgment distribution per dataset and per source model, chosen vs
//! rejected length (length bias), rating distributions per aspect and curator progress over time.
//! The figures are computed on a background thread with their own connection; the panel shows a
//! spinner meanwhile.

use super::background::Background;
use super::shared::label_words;
use crate::model::words::plural;
use crate::store::{Overview, Store};
use egui::{Color32, vec2};
use egui_plot::{AxisHints, Bar, BarChart, GridMark, Line, Plot, PlotPoints, Points};
use std::path::Path;

/// Points in the length scatter.
const MAX_POINTS: usize = 4000;
/// The height of one category's row in the bar charts by dataset and by model.
const CATEGORY_ROW: f32 = 26.0;
/// Category names longer than this are cut on the axis (the bar's tooltip has the whole name).
const MAX_NAME_CHARS: usize = 28;
/// The series' colours, in order: set on each series, so that the legend above a figure can show them.
const SERIES: [Color32; 6] = [
    Color32::from_rgb(0x4c, 0x9b, 0xe8),
    Color32::from_rgb(0xe8, 0x8a, 0x3c),
    Color32::from_rgb(0x5c, 0xb8, 0x5c),
    Color32::from_rgb(0xd0, 0x5c, 0x5c),
    Color32::from_rgb(0xa8, 0x78, 0xd8),
    Color32::from_rgb(0xc8, 0xc0, 0x50),
];

/// The panel's state.
#[derive(Default)]
pub struct StatsPanel {
    overview: Background<Overview>,
}

impl StatsPanel {
    /// Starts computing the figures for `project` (again).
    pub fn refresh(&mut self, project: &Path, wake: impl Fn() + Send + 'static) {
        self.overview.start("stats", project, |path| Store::open(path)?.overview(MAX_POINTS), wake);
    }

    /// Whether figures were ever asked for.
    pub fn is_loaded_or_loading(&self) -> bool {
        self.overview.is_loaded_or_loading()
    }

    /// Picks up finished figures.
    pub fn poll(&mut self) {
        self.overview.poll();
    }

    /// Draws the panel; returns true when the curator asks for a refresh.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> bool {
        let mut refresh = false;
        ui.horizontal(|ui| {
            ui.heading("Statistics");
            if self.overview.is_loading() {
                ui.spinner();
            } else if ui.button("Refresh").clicked() {
                refresh = true;
            }
        });
        match self.overview.value() {
            None => {
                ui.weak("Computing…");
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(Ok(o)) => {
                egui::ScrollArea::vertical().id_salt("stats").show(ui, |ui| overview_ui(ui, o));
            }
        }
        refresh
    }
}

fn overview_ui(ui: &mut egui::Ui, o: &Overview) {
    ui.label(format!("{} · {} touched by a curator", plural(o.samples, "sample"), o.curated));
    ui.separator();

    ui.strong("Labels now per dataset (a curator's, else the source's)");
    let datasets: Vec<&str> = dedup(o.judgments_by_dataset.iter().map(|(d, _, _)| d.as_str()));
    let labels: Vec<&str> = dedup(o.judgments_by_dataset.iter().map(|(_, l, _)| l.as_str()));
    let count =
        |d: &str, l: &str| o.judgments_by_dataset.iter().find(|(dd, ll, _)| dd == d && ll == l).map_or(0, |t| t.2);
    let series: Vec<(String, Vec<f64>)> =
        labels.iter().map(|l| (label_words(l), datasets.iter().map(|d| count(d, l) as f64).collect())).collect();
    categories_ui(ui, "by_dataset", &datasets, &series, true);

    if !o.model_outcomes.is_empty() {
        ui.strong("Per source model: chosen vs rejected (original)");
        let models: Vec<&str> = o.model_outcomes.iter().map(|(m, _, _)| m.as_str()).collect();
        let series = vec![
            ("chosen".to_owned(), o.model_outcomes.iter().map(|(_, c, _)| *c as f64).collect()),
            ("rejected".to_owned(), o.model_outcomes.iter().map(|(_, _, r)| *r as f64).collect()),
        ];
        categories_ui(ui, "by_model", &models, &series, false);
    }

    ui.strong("Length bias: chosen vs rejected length (characters)");
    if o.pairs_total > 0 {
        ui.label(format!(
            "The chosen answer is the longer one in {:.1}% of {}{}",
            100.0 * o.chosen_longer as f64 / o.pairs_total as f64,
            plural(o.pairs_total, "pair"),
            if o.length_pairs.len() < o.pairs_total as usize {
                format!(" ({} plotted)", o.length_pairs.len())
            } else {
                String::new()
            }
        ));
        let max = o.length_pairs.iter().map(|(a, b)| a.max(*b)).fold(1.0_f64, f64::max);
        let pts: Vec<[f64; 2]> = o.length_pairs.iter().map(|(c, r)| [*r, *c]).collect();
        Plot::new("length_bias").height(220.0).data_aspect(1.0).x_axis_label("rejected").y_axis_label("chosen").show(
            ui,
            |p| {
                p.points(Points::new("pairs", PlotPoints::from(pts)).radius(1.5));
                p.line(Line::new("equal length", PlotPoints::from(vec![[0.0, 0.0], [max, max]])));
            },
        );
    } else {
        ui.weak("No original pairwise judgments with text on both sides.");
    }

    let aspects: Vec<&str> = dedup(o.ratings.iter().map(|(a, _, _)| a.as_str()));
    if !aspects.is_empty() {
        ui.strong("Ratings per aspect");
        for (k, aspect) in aspects.iter().enumerate() {
            let bars: Vec<Bar> = o
                .ratings
                .iter()
                .filter(|(a, _, _)| a == aspect)
                .map(|(_, v, n)| Bar::new(*v, *n as f64).width(0.6))
                .collect();
            ui.label(*aspect);
            figure(("ratings", k), 90.0).show(ui, |p| {
                p.bar_chart(BarChart::new(*aspect, bars).color(series_color(0)));
            });
        }
    }

    ui.strong("Curator progress (actions per day)");
    if o.curator_days.is_empty() {
        ui.weak("No curation yet.");
    } else {
        let mut total = 0u64;
        let cumulative: Vec<[f64; 2]> = o
            .curator_days
            .iter()
            .enumerate()
            .map(|(i, (_, n))| {
                total += n;
                [i as f64, total as f64]
            })
            .collect();
        let days: Vec<String> = o.curator_days.iter().map(|(d, _)| d.clone()).collect();
        let bars: Vec<Bar> =
            o.curator_days.iter().enumerate().map(|(i, (_, n))| Bar::new(i as f64, *n as f64).width(0.6)).collect();
        legend_ui(ui, &["actions", "cumulative"]);
        figure("progress", 140.0).x_axis_formatter(category_axis(days)).show(ui, |p| {
            p.bar_chart(BarChart::new("actions", bars).color(series_color(0)));
            p.line(Line::new("cumulative", PlotPoints::from(cumulative)).color(series_color(1)));
        });
    }
}

/// A plot that does not pan or zoom (a figure, not a canvas). Its legend, where it has one, is
/// drawn above it ([`legend_ui`]): inside the plot a legend covers the tallest bar.
fn figure(id: impl egui::AsIdSalt, height: f32) -> Plot<'static> {
    Plot::new(id).height(height).allow_zoom(false).allow_drag(false).allow_scroll(false)
}

/// The colour of series `i` (set on the series, so that the legend above the plot can name it).
fn series_color(i: usize) -> Color32 {
    SERIES[i % SERIES.len()]
}

/// The figure's legend, above it: a swatch and the name of each series, in series order.
fn legend_ui(ui: &mut egui::Ui, names: &[&str]) {
    ui.horizontal_wrapped(|ui| {
        for (i, name) in names.iter().enumerate() {
            // Swatch and name as one widget, so that a wrap never parts them.
            let font = egui::TextStyle::Body.resolve(ui.style());
            let galley = ui.painter().layout_no_wrap((*name).to_owned(), font, ui.visuals().text_color());
            let size = galley.size().y;
            let (rect, response) =
                ui.allocate_exact_size(vec2(size + 4.0 + galley.size().x, size), egui::Sense::hover());
            let swatch = egui::Rect::from_min_size(rect.min, vec2(size, size)).shrink(3.0);
            ui.painter().rect_filled(swatch, 2.0, series_color(i));
            ui.painter().galley(rect.min + vec2(size + 4.0, 0.0), galley, ui.visuals().text_color());
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, *name));
            ui.add_space(6.0);
        }
    });
}

/// Counts per category as horizontal bars, one row per category, named on the y axis, the first
/// on top: every name shows whatever their number and length (under vertical bars, the axis
/// named one category in several, those the labels' width left room for). The series are
/// stacked, or side by side within the row, with their legend above.
fn categories_ui(ui: &mut egui::Ui, id: &str, categories: &[&str], series: &[(String, Vec<f64>)], stacked: bool) {
    let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
    legend_ui(ui, &names);
    let n = categories.len();
    let row = |i: usize| (n - 1 - i) as f64;
    let k = series.len().max(1) as f64;
    let width = if stacked { 0.7 } else { 0.8 / k };
    let mut charts: Vec<BarChart> = Vec::new();
    for (s, (name, values)) in series.iter().enumerate() {
        let shift = if stacked { 0.0 } else { ((k - 1.0) / 2.0 - s as f64) * width };
        let bars: Vec<Bar> = values
            .iter()
            .zip(categories)
            .enumerate()
            .map(|(i, (v, c))| Bar::new(row(i) + shift, *v).width(width).name(*c))
            .collect();
        let mut chart = BarChart::new(name.as_str(), bars).horizontal().color(series_color(s));
        if stacked {
            let below: Vec<&BarChart> = charts.iter().collect();
            chart = chart.stack_on(&below);
        }
        charts.push(chart);
    }
    let shown: Vec<String> = categories.iter().map(|c| shorten(c, MAX_NAME_CHARS)).collect();
    // Every row's name, however close the rows (the default spacing leaves names out).
    let axis = AxisHints::new_y().label_spacing(0.0..=1.0).formatter(move |m, _| row_name(&shown, m.value));
    figure(id, CATEGORY_ROW * n as f32 + 36.0)
        .custom_y_axes(vec![axis])
        .y_grid_spacer(move |_| row_marks(n))
        .include_x(0.0)
        .include_y(-0.5)
        .include_y(n as f64 - 0.5)
        .show(ui, |p| {
            for c in charts {
                p.bar_chart(c);
            }
        });
}

/// A grid mark at each category's row, `0..n`.
fn row_marks(n: usize) -> Vec<GridMark> {
    (0..n).map(|i| GridMark { value: i as f64, step_size: 1.0 }).collect()
}

/// The name at y `value` of categories drawn first on top (row `n - 1` is the first); none
/// between rows.
fn row_name(names: &[String], value: f64) -> String {
    let i = value.round();
    if (value - i).abs() > 1e-6 || i < 0.0 || i >= names.len() as f64 {
        return String::new();
    }
    names.get(names.len() - 1 - i as usize).cloned().unwrap_or_default()
}

/// `text` cut to `max` characters, with an ellipsis where it was cut.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Names category `i` at integer x positions.
fn category_axis(names: Vec<String>) -> impl Fn(egui_plot::GridMark, &std::ops::RangeInclusive<f64>) -> String {
    move |m, _| names.get(m.value.round() as usize).filter(|_| m.value.fract() == 0.0).cloned().unwrap_or_default()
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_row_is_marked_and_named_first_on_top() {
        let names: Vec<String> = ["align_anything_ta2t", "llava_dpo_video", "rlaif_v"].map(str::to_owned).to_vec();
        let named: Vec<String> = row_marks(names.len()).iter().map(|m| row_name(&names, m.value)).collect();
        assert_eq!(named, ["rlaif_v", "llava_dpo_video", "align_anything_ta2t"], "bottom row first");
        assert_eq!(row_name(&names, 0.5), "", "nothing between rows");
        assert_eq!(row_name(&names, 3.0), "");
        assert_eq!(shorten("a_dataset_name_longer_than_twenty_eight", MAX_NAME_CHARS).chars().count(), 29);
    }
}
