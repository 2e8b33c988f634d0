//! The sample list: a virtualized list over the id list the query worker produced. Only the rows
//! on screen are read from the store (a few dozen indexed lookups per scroll step, cached), so it
//! stays smooth with a million samples. Header clicks change the sort; the selection follows keys.

use super::commands::Command;
use super::shared::label_words;
use crate::model::SampleId;
use crate::store::{ListRow, SortKey, Store};
use egui::Galley;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

/// Height of one row.
const ROW_HEIGHT: f32 = 20.0;
/// Height of the header.
const HEADER_HEIGHT: f32 = 22.0;
/// Space left of a cell's text.
const CELL_PAD: f32 = 4.0;
/// Widths of the columns before the prompt, which takes the rest.
const WIDTHS: [f32; 10] = [56.0, 96.0, 58.0, 72.0, 72.0, 88.0, 46.0, 46.0, 40.0, 40.0];
/// The prompt column's least width: the panel grows to show it.
const MIN_PROMPT_WIDTH: f32 = 140.0;
/// Rows fetched beyond the visible range, each side.
const MARGIN: usize = 40;
/// Cached rows kept at most.
const MAX_CACHED: usize = 4000;
/// Laid-out short cell texts kept at most.
const MAX_SHORT_GALLEYS: usize = 20_000;

/// The list's state.
#[derive(Default)]
pub struct SampleList {
    /// Matching ids in order.
    pub ids: Arc<Vec<SampleId>>,
    /// Selected position in `ids` (the sample shown).
    pub selected: Option<usize>,
    /// Samples marked for a bulk action (Ctrl-click, Shift-click), besides `all_marked`.
    marked: HashSet<SampleId>,
    /// Every sample of the list is marked (Ctrl+A: all matches of the filter).
    all_marked: bool,
    /// Where a Shift-click range starts.
    anchor: Option<usize>,
    rows: HashMap<SampleId, ListRow>,
    /// Laid-out cell texts of cached rows.
    galleys: HashMap<SampleId, RowGalleys>,
    /// Laid-out texts of the short columns, by column and text.
    short_galleys: HashMap<(usize, String), Arc<Galley>>,
    visible: Range<usize>,
    scroll_to: Option<usize>,
    /// Scroll offset and viewport height at the last frame.
    viewport: (f32, f32),
    /// How many rows the last frame laid out.
    laid_out_len: usize,
}

/// A row's cell texts, laid out once (color chosen when painted).
struct RowGalleys {
    /// The prompt column's width they were laid out for.
    prompt_width: f32,
    cells: [Arc<Galley>; COLUMNS.len() + 1],
}

/// The text of each cell of a row.
fn cell_texts(r: &ListRow) -> [String; COLUMNS.len() + 1] {
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    [
        r.id.to_string(),
        r.dataset.clone(),
        r.modality.clone(),
        label_words(&r.original),
        label_words(&r.current),
        r.model_a.clone().unwrap_or_default(),
        opt(r.len_a),
        opt(r.len_b),
        match (r.excluded.is_some(), r.flag.is_some()) {
            (true, true) => "XF".into(),
            (true, false) => "X".into(),
            (false, true) => "F".into(),
            (false, false) => String::new(),
        },
        if r.edited {
            "E".into()
        } else if r.noted {
            "N".into()
        } else {
            String::new()
        },
        r.prompt.clone(),
    ]
}

/// The tooltip of a row: what the short cells stand for.
fn hover_text(r: &ListRow) -> String {
    let mut lines = vec![format!("#{} · {} · {}", r.id, r.dataset, r.modality)];
    if let Some(x) = &r.excluded {
        lines.push(format!("excluded: {x}"));
    }
    if let Some(f) = &r.flag {
        lines.push(format!("flagged: {f}"));
    }
    if r.edited {
        lines.push(format!("relabeled: {} (was {})", label_words(&r.current), label_words(&r.original)));
    }
    if r.noted {
        lines.push("has a note".into());
    }
    lines.join("\n")
}

/// What a screen reader says for a row: the cells as painted (id, dataset, kind, now, prompt).
fn accessible_text(r: &ListRow) -> String {
    let [id, dataset, kind, _, now, .., prompt] = cell_texts(r);
    let mut s = format!("#{id} {dataset} {kind} {now} {prompt}");
    if let Some(x) = &r.excluded {
        let _ = write!(s, " (excluded: {x})");
    }
    if let Some(f) = &r.flag {
        let _ = write!(s, " (flagged: {f})");
    }
    s
}

/// The rectangle of column `k` within a row's rectangle (`COLUMNS.len()` is the prompt).
fn column_rect(row: egui::Rect, k: usize) -> egui::Rect {
    let left = row.left() + WIDTHS.iter().take(k).sum::<f32>();
    let right = WIDTHS.get(k).map_or(row.right(), |w| left + w);
    egui::Rect::from_x_y_ranges(left..=right.max(left), row.y_range())
}

/// The columns: header text and sort key.
const COLUMNS: &[(&str, SortKey)] = &[
    ("#", SortKey::Id),
    ("dataset", SortKey::Dataset),
    ("kind", SortKey::Modality),
    ("orig", SortKey::Original),
    ("now", SortKey::Current),
    ("model A", SortKey::ModelA),
    ("len A", SortKey::LenA),
    ("len B", SortKey::LenB),
    ("flag", SortKey::Flagged),
    ("edit", SortKey::Edited),
];

impl SampleList {
    /// Replaces the ids (a new query or sort), keeping `keep` selected if it is still there, else
    /// selecting the first.
    pub fn set_ids(&mut self, ids: Arc<Vec<SampleId>>, keep: Option<SampleId>) {
        self.show_ids(ids, keep, true);
    }

    /// Shows the first ids of a list still being read: `keep` is selected if it is among them,
    /// else nothing is (until [`SampleList::set_ids`] brings the whole list).
    pub fn set_first_page(&mut self, ids: Arc<Vec<SampleId>>, keep: Option<SampleId>) {
        self.show_ids(ids, keep, keep.is_none());
    }

    /// `ids`, with `keep` selected where it is; the first row when it is not and `or_first`.
    fn show_ids(&mut self, ids: Arc<Vec<SampleId>>, keep: Option<SampleId>, or_first: bool) {
        // "All matches" meant the filter's matches: a new list is another set. Marked samples
        // that the new list does not show are let go, so the count says what an action changes.
        self.all_marked = false;
        self.anchor = None;
        if !self.marked.is_empty() {
            let shown: HashSet<SampleId> = ids.iter().copied().collect();
            self.marked.retain(|id| shown.contains(id));
        }
        self.ids = ids;
        self.selected = keep.and_then(|id| self.ids.iter().position(|x| *x == id));
        if self.selected.is_none() && or_first && !self.ids.is_empty() {
            self.selected = Some(0);
        }
        self.scroll_to = self.selected;
    }

    /// The selected sample.
    pub fn selected_id(&self) -> Option<SampleId> {
        self.selected.and_then(|i| self.ids.get(i).copied())
    }

    /// Moves the selection to `index` (clamped) and scrolls to it.
    pub fn select(&mut self, index: usize) {
        if self.ids.is_empty() {
            self.selected = None;
            return;
        }
        let index = index.min(self.ids.len() - 1);
        self.selected = Some(index);
        self.scroll_to = Some(index);
    }

    /// How many samples are marked for a bulk action.
    pub fn marked_count(&self) -> usize {
        if self.all_marked { self.ids.len() } else { self.marked.len() }
    }

    /// Whether every sample of the list is marked.
    pub fn all_marked(&self) -> bool {
        self.all_marked
    }

    /// The marked samples, in list order.
    pub fn marked_ids(&self) -> Vec<SampleId> {
        if self.all_marked {
            return self.ids.to_vec();
        }
        self.ids.iter().filter(|id| self.marked.contains(id)).copied().collect()
    }

    /// Whether the sample at `i` is marked.
    fn is_marked(&self, id: SampleId) -> bool {
        self.all_marked || self.marked.contains(&id)
    }

    /// Ctrl-click: marks or unmarks the sample at `index` (the first Ctrl-click also marks the
    /// sample shown, so that it and the clicked one are both in the set), and shows it.
    pub fn toggle_mark(&mut self, index: usize) {
        let Some(&id) = self.ids.get(index) else { return };
        if self.all_marked {
            self.marked = self.ids.iter().copied().collect();
            self.all_marked = false;
        } else if self.marked.is_empty()
            && let Some(current) = self.selected_id()
            && current != id
        {
            self.marked.insert(current);
        }
        if !self.marked.remove(&id) {
            self.marked.insert(id);
        }
        self.anchor = Some(index);
        self.select(index);
    }

    /// Shift-click: marks the samples from the last clicked (or shown) one to `index`.
    pub fn mark_range(&mut self, index: usize) {
        if index >= self.ids.len() {
            return;
        }
        let from = self.anchor.or(self.selected).unwrap_or(index);
        let (a, b) = (from.min(index), from.max(index));
        if !self.all_marked {
            self.marked.extend(self.ids[a..=b].iter().copied());
        }
        self.anchor.get_or_insert(from);
        self.select(index);
    }

    /// Ctrl+A: marks every sample the filter matches.
    pub fn mark_all(&mut self) {
        self.all_marked = !self.ids.is_empty();
        self.marked.clear();
    }

    /// Unmarks everything.
    pub fn clear_marks(&mut self) {
        self.all_marked = false;
        self.marked.clear();
        self.anchor = None;
    }

    /// Forgets cached rows of `id` (after it was relabeled).
    pub fn invalidate(&mut self, id: SampleId) {
        self.rows.remove(&id);
        self.galleys.remove(&id);
    }

    /// Forgets every cached row (many changed at once).
    pub fn invalidate_all(&mut self) {
        self.rows.clear();
        self.galleys.clear();
    }

    /// Reads the rows around the visible range that are not cached.
    fn fetch(&mut self, store: &Store) {
        let start = self.visible.start.saturating_sub(MARGIN);
        let end = (self.visible.end + MARGIN).min(self.ids.len());
        let missing: Vec<SampleId> =
            self.ids.get(start..end).unwrap_or(&[]).iter().filter(|id| !self.rows.contains_key(id)).copied().collect();
        if missing.is_empty() {
            return;
        }
        if self.rows.len() + missing.len() > MAX_CACHED {
            // Keep the rows around the view (dropping them all would re-read and re-lay out a
            // whole screen in one frame).
            let keep: std::collections::HashSet<SampleId> = self
                .ids
                .get(start.saturating_sub(MARGIN)..(end + MARGIN).min(self.ids.len()))
                .unwrap_or(&[])
                .iter()
                .copied()
                .collect();
            self.rows.retain(|id, _| keep.contains(id));
            self.galleys.retain(|id, _| keep.contains(id));
        }
        if let Ok(rows) = store.list_rows(&missing) {
            for r in rows {
                self.rows.insert(r.id, r);
            }
        }
    }

    /// Draws the header and the visible rows; returns commands (select; the sort is changed in place).
    ///
    /// Each row is one widget (for clicks) and eleven pre-laid-out texts painted into their
    /// columns: a table of child `Ui`s and labels per cell cost ~500 widgets a frame.
    pub fn ui(&mut self, ui: &mut egui::Ui, store: &Store, sort: &mut SortKey, descending: &mut bool) -> Vec<Command> {
        self.fetch(store);
        let mut commands = Vec::new();
        ui.set_min_width(WIDTHS.iter().sum::<f32>() + MIN_PROMPT_WIDTH);
        Self::header_ui(ui, sort, descending);
        ui.separator();

        let mut area = egui::ScrollArea::vertical().id_salt("samples").auto_shrink([false, false]);
        // Scrolls only over a list of the length laid out last frame: the scroll area bounds its
        // offset by the last frame's content, and an offset past it springs back over many frames.
        let laid_out = std::mem::replace(&mut self.laid_out_len, self.ids.len()) == self.ids.len();
        if !laid_out && self.scroll_to.is_some() {
            ui.ctx().request_repaint();
        } else if let Some(i) = self.scroll_to.take() {
            // The least scrolling that shows row `i`.
            let (top, bottom) = (i as f32 * ROW_HEIGHT, (i + 1) as f32 * ROW_HEIGHT);
            let (offset, view) = self.viewport;
            if view <= 0.0 {
                // No frame yet to know the view's height: the row goes to the top.
                area = area.vertical_scroll_offset(top);
            } else if top < offset {
                area = area.vertical_scroll_offset(top);
            } else if bottom > offset + view {
                area = area.vertical_scroll_offset(bottom - view);
            }
        }
        let old_spacing = ui.spacing().item_spacing.y;
        ui.spacing_mut().item_spacing.y = 0.0;
        // Rows touch (no spacing): `show_rows` places them at `index * ROW_HEIGHT`.
        let out = area.show_rows(ui, ROW_HEIGHT, self.ids.len(), |ui, range| {
            self.ensure_galleys(ui, range.clone());
            for i in range.clone() {
                if let Some(modifiers) = self.row_ui(ui, i) {
                    commands.push(if modifiers.shift {
                        Command::MarkRange(i)
                    } else if modifiers.command {
                        Command::ToggleMark(i)
                    } else {
                        Command::Select(i)
                    });
                }
            }
            range
        });
        ui.spacing_mut().item_spacing.y = old_spacing;
        self.viewport = (out.state.clamped_offset().y, out.inner_rect.height());
        let seen = out.inner;
        if seen != self.visible {
            self.visible = seen;
            if self.ids.get(self.visible.clone()).unwrap_or(&[]).iter().any(|id| !self.rows.contains_key(id)) {
                ui.ctx().request_repaint();
            }
        }
        commands
    }

    fn header_ui(ui: &mut egui::Ui, sort: &mut SortKey, descending: &mut bool) {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), HEADER_HEIGHT), egui::Sense::hover());
        for (k, (title, key)) in COLUMNS.iter().enumerate() {
            let cell = column_rect(rect, k);
            let arrow = if sort == key { if *descending { " v" } else { " ^" } } else { "" };
            let button = egui::Button::selectable(sort == key, format!("{title}{arrow}"))
                .wrap_mode(egui::TextWrapMode::Truncate);
            if ui.put(cell.shrink2(egui::vec2(1.0, 0.0)), button).on_hover_text(key.label()).clicked() {
                if sort == key {
                    *descending = !*descending;
                } else {
                    *sort = *key;
                    *descending = false;
                }
            }
        }
        let prompt = column_rect(rect, COLUMNS.len());
        ui.painter().text(
            prompt.left_center() + egui::vec2(CELL_PAD, 0.0),
            egui::Align2::LEFT_CENTER,
            "prompt",
            egui::TextStyle::Body.resolve(ui.style()),
            ui.visuals().strong_text_color(),
        );
    }

    /// Lays out the texts of visible rows that have none yet (or were laid out for another
    /// prompt column width).
    fn ensure_galleys(&mut self, ui: &egui::Ui, range: Range<usize>) {
        let prompt_width = (ui.available_width() - WIDTHS.iter().sum::<f32>() - 2.0 * CELL_PAD).max(10.0);
        let font = egui::TextStyle::Body.resolve(ui.style());
        let rows = &self.rows;
        let galleys = &mut self.galleys;
        let short = &mut self.short_galleys;
        if short.len() > MAX_SHORT_GALLEYS {
            short.clear();
        }
        ui.fonts_mut(|fonts| {
            let mut layout = |text: String, width: f32| {
                let mut job = egui::text::LayoutJob::single_section(
                    text,
                    egui::TextFormat::simple(font.clone(), egui::Color32::PLACEHOLDER),
                );
                job.wrap = egui::text::TextWrapping::truncate_at_width(width);
                fonts.layout_job(job)
            };
            for id in self.ids.get(range).unwrap_or(&[]) {
                let Some(row) = rows.get(id) else { continue };
                if galleys.get(id).is_some_and(|g| (g.prompt_width - prompt_width).abs() < 0.5) {
                    continue;
                }
                let texts = cell_texts(row);
                let cells = std::array::from_fn(|k| {
                    let width = WIDTHS.get(k).map_or(prompt_width, |w| w - 2.0 * CELL_PAD);
                    let text = texts[k].clone();
                    // Ids and prompts are unique; the other cells repeat from row to row (dataset
                    // names, labels, models, lengths): those are laid out once per text.
                    if k == COLUMNS.len() {
                        // Only what can fit is shaped (no glyph of the body font is narrower than
                        // 4 points): the rest would be cut at the column's edge anyway.
                        let fits = (width / 4.0) as usize;
                        let text = match text.char_indices().nth(fits) {
                            Some((at, _)) => text[..at].to_owned(),
                            None => text,
                        };
                        layout(text, width)
                    } else if k == 0 {
                        layout(text, width)
                    } else {
                        short.entry((k, text)).or_insert_with_key(|(_, t)| layout(t.clone(), width)).clone()
                    }
                });
                galleys.insert(*id, RowGalleys { prompt_width, cells });
            }
        });
    }

    /// One row; returns the modifiers it was clicked with.
    fn row_ui(&self, ui: &mut egui::Ui, i: usize) -> Option<egui::Modifiers> {
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(ui.available_width(), ROW_HEIGHT), egui::Sense::click());
        // The modifiers the click itself carried (a window may release Ctrl before the frame ends).
        let clicked = response.clicked().then(|| {
            ui.input(|inp| {
                inp.events
                    .iter()
                    .rev()
                    .find_map(|e| match e {
                        egui::Event::PointerButton { pressed: false, modifiers, .. } => Some(*modifiers),
                        _ => None,
                    })
                    .unwrap_or(inp.modifiers)
            })
        });
        if !ui.is_rect_visible(rect) {
            return clicked;
        }
        let id = self.ids[i];
        let selected = self.selected == Some(i);
        let marked = self.is_marked(id);
        let visuals = ui.visuals();
        let painter = ui.painter();
        let fill = if selected {
            Some(visuals.selection.bg_fill)
        } else if marked {
            Some(visuals.selection.bg_fill.gamma_multiply(0.45))
        } else if response.hovered() {
            Some(visuals.widgets.hovered.bg_fill)
        } else {
            (i % 2 == 1).then_some(visuals.faint_bg_color)
        };
        if let Some(fill) = fill {
            painter.rect_filled(rect, 0.0, fill);
        }
        let excluded = self.rows.get(&id).is_some_and(|r| r.excluded.is_some());
        let text = if selected {
            visuals.selection.stroke.color
        } else if excluded {
            // Not in the cleaned set: still listed, read as set aside.
            visuals.weak_text_color()
        } else {
            visuals.text_color()
        };
        let row = self.rows.get(&id);
        match (row, self.galleys.get(&id)) {
            (Some(row), Some(g)) => {
                for (k, galley) in g.cells.iter().enumerate() {
                    let color = match k {
                        4 if row.edited && !selected => visuals.strong_text_color(),
                        8 => super::theme::FLAG,
                        _ => text,
                    };
                    let cell = column_rect(rect, k);
                    let pos = egui::pos2(cell.left() + CELL_PAD, cell.center().y - galley.size().y / 2.0);
                    painter.with_clip_rect(cell.intersect(painter.clip_rect())).galley(pos, galley.clone(), color);
                }
            }
            _ => {
                painter.text(
                    column_rect(rect, 0).left_center() + egui::vec2(CELL_PAD, 0.0),
                    egui::Align2::LEFT_CENTER,
                    format!("{id}  …"),
                    egui::TextStyle::Body.resolve(ui.style()),
                    visuals.weak_text_color(),
                );
            }
        }
        let response = response.on_hover_ui_at_pointer(|ui| {
            if let Some(row) = row {
                ui.label(hover_text(row));
            }
        });
        if marked {
            // A mark at the row's left edge, so a marked row reads as one with the shown one too.
            let bar = egui::Rect::from_min_size(rect.min, egui::vec2(3.0, rect.height()));
            painter.rect_filled(bar, 0.0, visuals.selection.stroke.color);
        }
        if let Some(row) = row {
            let text = if marked { format!("{} (marked)", accessible_text(row)) } else { accessible_text(row) };
            response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, text.clone()));
        }
        clicked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JudgmentKind;

    /// Every label the orig and now columns show, in words, fits them whole at the body font
    /// ("both bad" was cut to "both …").
    #[test]
    fn every_label_in_words_fits_its_column() {
        let ctx = egui::Context::default();
        ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        let font = egui::TextStyle::Body.resolve(&ctx.global_style());
        let labels = JudgmentKind::ALL.iter().map(|k| label_words(k.as_str())).chain(["A>B".into(), "J>I".into()]);
        for label in labels {
            assert!(!label.contains('_'), "{label:?} is a code");
            let width = ctx.fonts_mut(|f| f.layout_no_wrap(label.clone(), font.clone(), egui::Color32::WHITE).size().x);
            for k in [3, 4] {
                assert!(
                    width <= WIDTHS[k] - 2.0 * CELL_PAD,
                    "{label:?} ({width} pt) is cut in column {}",
                    COLUMNS[k].0
                );
            }
        }
    }
}
