//! Under the queue's agreement line, a section (closed at first) with the scorer's agreement with
//! the labels in force per dataset, per source model and per curator (and, for a served judge, how
//! often it answers differently with the order the pair is shown in): one group a line, its name
//! cut with `…` to the room there is and its pairs, agreement and disagreements in columns of
//! their own on the right (the whole line on hover).
//!
//! Read on a thread of its own only while the section is open, and at most every few seconds
//! after labels or scores change: it groups every scored pair (seconds on a million), so the
//! queue's own page, read again at once after a relabel, never waits for it.

use super::row::{paint_columns, row_height};
use crate::store::{Agreement, AgreementRow, Store, group_name};
use crate::ui::background::Background;
use std::path::Path;
use std::time::{Duration, Instant};

/// Widths of the pairs, agreement and against columns.
const WIDTHS: [f32; 3] = [52.0, 48.0, 60.0];
/// The section's height at most (it scrolls beyond), so that the queue keeps its room.
const MAX_HEIGHT: f32 = 180.0;
/// Changes are read again at most this often while the section is open (or, after a read that
/// took long, twice its time after it ended: a scoring job's writes make it stale every second).
const REREAD_AFTER: Duration = Duration::from_secs(3);

/// What the section shows of one scorer.
struct Breakdown {
    scorer: String,
    agreement: Agreement,
    /// A judge's pairs asked in both orders, and those it answered differently with the order.
    order_flips: Option<(u64, u64)>,
}

/// The section's state: open or not, and the breakdown read for a scorer.
#[derive(Default)]
pub struct AgreementSection {
    open: bool,
    /// The scorer's name and its breakdown.
    read: Background<Breakdown>,
    stale: bool,
    /// The scorer of the last read started.
    read_for: Option<String>,
    /// When the last read started, and when it ended.
    started: Option<Instant>,
    ended: Option<Instant>,
    /// The pause before the next read of a change.
    pause: Duration,
}

impl AgreementSection {
    /// Labels or scores changed: read again (while open, within [`REREAD_AFTER`]).
    pub fn invalidate(&mut self) {
        self.stale = true;
    }

    /// Picks up a finished read and starts the next one where due: while open, for `scorer`
    /// (the queue's), when none is read for it yet or what was read is stale.
    pub fn poll(&mut self, ctx: &egui::Context, path: &Path, scorer: &str) {
        let was_loading = self.read.is_loading();
        self.read.poll();
        if was_loading && !self.read.is_loading() {
            let now = Instant::now();
            let took = self.started.map_or(Duration::ZERO, |s| now - s);
            self.pause = REREAD_AFTER.max(2 * took);
            self.ended = Some(now);
        }
        if !self.open || self.read.is_loading() {
            return;
        }
        let other_scorer = self.read_for.as_deref() != Some(scorer);
        let wait = self.pause.saturating_sub(self.ended.map_or(Duration::MAX, |t| t.elapsed()));
        if other_scorer || (self.stale && wait.is_zero()) {
            self.stale = false;
            self.read_for = Some(scorer.to_owned());
            self.started = Some(Instant::now());
            let (name, wake) = (scorer.to_owned(), ctx.clone());
            self.read.start("suspects-agreement", path, move |p| read(p, &name), move || wake.request_repaint());
        } else if self.stale {
            ctx.request_repaint_after(wait);
        }
    }

    /// The section for `scorer`.
    pub fn ui(&mut self, ui: &mut egui::Ui, scorer: &str) {
        let header = egui::CollapsingHeader::new("Agreement by dataset, model, curator")
            .id_salt("suspects_agreement")
            .open(Some(self.open))
            .show(ui, |ui| match self.read.value() {
                Some(Ok(b)) if b.scorer == scorer => {
                    if let Some((pairs, flipped)) = b.order_flips.filter(|f| f.0 > 0) {
                        let percent = 100.0 * flipped as f64 / pairs as f64;
                        ui.label(format!(
                            "The judge answers differently with the order in {flipped} of {pairs} pairs ({percent:.1} %)"
                        ));
                    }
                    egui::ScrollArea::vertical()
                        .id_salt("suspects_agreement_rows")
                        .max_height(MAX_HEIGHT)
                        .show(ui, |ui| breakdown_ui(ui, &b.agreement));
                }
                Some(Err(e)) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                _ => {
                    ui.weak("Reading…");
                }
            });
        if header.header_response.clicked() {
            self.open = !self.open;
            ui.ctx().request_repaint();
        }
    }
}

/// Reads scorer `name`'s breakdown (and a judge's order flips).
fn read(path: &Path, name: &str) -> Result<Breakdown, String> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let scorer = store.scorer(Some(name)).map_err(|e| e.to_string())?;
    let scorer = scorer.ok_or_else(|| format!("the project no longer has a scorer named {name}"))?;
    let order_flips = if scorer.kind == "judge" {
        Some(store.judge_order_flips(scorer.id).map_err(|e| e.to_string())?)
    } else {
        None
    };
    let agreement = store.agreement(scorer.id).map_err(|e| e.to_string())?;
    Ok(Breakdown { scorer: name.to_owned(), agreement, order_flips })
}

fn breakdown_ui(ui: &mut egui::Ui, agreement: &Agreement) {
    for (by, rows) in agreement.groups() {
        line(ui, &[format!("per {by}"), "pairs".into(), "agree".into(), "against".into()], None, true);
        for row in rows {
            let name = group_name(by, row);
            let percent = row.percent().map_or_else(|| "-".to_owned(), |p| format!("{p:.0} %"));
            let cells = [name.clone(), row.pairs.to_string(), percent, row.disagree.to_string()];
            line(ui, &cells, Some(hover(by, &name, row)), false);
        }
    }
}

/// "Dataset pairs: the model agrees with the label on 4 of 12 pairs, disagrees on 8 (even: 0)".
fn hover(by: &str, name: &str, row: &AgreementRow) -> String {
    let even = row.pairs - row.agree - row.disagree;
    let mut by = by.to_owned();
    if let Some(first) = by.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!(
        "{by} {name}: the model agrees with the label on {} of {} pairs, disagrees on {} (even: {even})",
        row.agree, row.pairs, row.disagree
    )
}

fn line(ui: &mut egui::Ui, cells: &[String; 4], hover: Option<String>, heading: bool) {
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(ui.available_width(), row_height(ui)), egui::Sense::hover());
    let text = hover.clone().unwrap_or_else(|| cells.join(" · "));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &text));
    if ui.is_rect_visible(rect) {
        let color = if heading { ui.visuals().weak_text_color() } else { ui.visuals().text_color() };
        paint_columns(ui, rect, cells, &WIDTHS, color);
    }
    if let Some(h) = hover {
        response.on_hover_text(h);
    }
}
