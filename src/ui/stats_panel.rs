//! The statistics panel: judgment distribution per dataset and per source model, chosen vs
//! rejected length (length bias), rating distributions per aspect and curator progress over time.
//! The figures are computed on a background thread with their own connection; the panel shows a
//! spinner meanwhile.

use super::background::Background;
use crate::store::{Overview, Store};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, Points};
use std::path::Path;

/// Points in the length scatter.
const MAX_POINTS: usize = 4000;

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
    ui.label(format!("{} samples · {} touched by a curator", o.samples, o.curated));
    ui.separator();

    ui.strong("Labels now per dataset (a curator's, else the source's)");
    let datasets: Vec<&str> = dedup(o.judgments_by_dataset.iter().map(|(d, _, _)| d.as_str()));
    let labels: Vec<&str> = dedup(o.judgments_by_dataset.iter().map(|(_, l, _)| l.as_str()));
    let mut charts: Vec<BarChart> = Vec::new();
    for label in &labels {
        let bars: Vec<Bar> = datasets
            .iter()
            .enumerate()
            .map(|(x, d)| {
                let n = o.judgments_by_dataset.iter().find(|(dd, l, _)| dd == d && l == label).map_or(0, |t| t.2);
                Bar::new(x as f64, n as f64).width(0.7).name(*d)
            })
            .collect();
        let refs: Vec<&BarChart> = charts.iter().collect();
        let chart = BarChart::new(*label, bars).stack_on(&refs);
        charts.push(chart);
    }
    figure("by_dataset", 180.0)
        .x_axis_formatter(category_axis(datasets.iter().map(|s| (*s).to_owned()).collect()))
        .show(ui, |p| {
            for c in charts {
                p.bar_chart(c);
            }
        });

    if !o.model_outcomes.is_empty() {
        ui.strong("Per source model: chosen vs rejected (original)");
        let chosen: Vec<Bar> = o
            .model_outcomes
            .iter()
            .enumerate()
            .map(|(i, (m, c, _))| Bar::new(i as f64 - 0.2, *c as f64).width(0.4).name(m))
            .collect();
        let rejected: Vec<Bar> = o
            .model_outcomes
            .iter()
            .enumerate()
            .map(|(i, (m, _, r))| Bar::new(i as f64 + 0.2, *r as f64).width(0.4).name(m))
            .collect();
        let models: Vec<String> = o.model_outcomes.iter().map(|(m, _, _)| m.clone()).collect();
        figure("by_model", 180.0).x_axis_formatter(category_axis(models)).show(ui, |p| {
            p.bar_chart(BarChart::new("chosen", chosen));
            p.bar_chart(BarChart::new("rejected", rejected));
        });
    }

    ui.strong("Length bias: chosen vs rejected length (characters)");
    if o.pairs_total > 0 {
        ui.label(format!(
            "The chosen answer is the longer one in {:.1}% of {} pairs{}",
            100.0 * o.chosen_longer as f64 / o.pairs_total as f64,
            o.pairs_total,
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
                p.bar_chart(BarChart::new(*aspect, bars));
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
        figure("progress", 140.0).x_axis_formatter(category_axis(days)).show(ui, |p| {
            p.bar_chart(BarChart::new("actions", bars));
            p.line(Line::new("cumulative", PlotPoints::from(cumulative)));
        });
    }
}

/// A plot that does not pan or zoom (a figure, not a canvas).
fn figure(id: impl egui::AsIdSalt, height: f32) -> Plot<'static> {
    Plot::new(id).height(height).legend(Legend::default()).allow_zoom(false).allow_drag(false).allow_scroll(false)
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
