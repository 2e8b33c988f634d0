//! The sample list: a virtualized table over the id list the query worker produced. Only the rows
//! on screen are read from the store (a few dozen indexed lookups per scroll step, cached), so it
//! stays smooth with a million samples. Header clicks change the sort; the selection follows keys.

use super::commands::Command;
use crate::model::SampleId;
use crate::store::{ListRow, SortKey, Store};
use egui_extras::{Column, TableBuilder};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// Height of one row.
const ROW_HEIGHT: f32 = 20.0;
/// Rows fetched beyond the visible range, each side.
const MARGIN: usize = 40;
/// Cached rows kept at most.
const MAX_CACHED: usize = 4000;

/// The list's state.
#[derive(Default)]
pub struct SampleList {
    /// Matching ids in order.
    pub ids: Arc<Vec<SampleId>>,
    /// Selected position in `ids`.
    pub selected: Option<usize>,
    rows: HashMap<SampleId, ListRow>,
    visible: Range<usize>,
    scroll_to: Option<usize>,
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
    /// Replaces the ids (a new query or sort), keeping `keep` selected if it is still there.
    pub fn set_ids(&mut self, ids: Arc<Vec<SampleId>>, keep: Option<SampleId>) {
        self.ids = ids;
        self.selected = keep.and_then(|id| self.ids.iter().position(|x| *x == id));
        if self.selected.is_none() && !self.ids.is_empty() {
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

    /// Forgets cached rows of `id` (after it was relabeled).
    pub fn invalidate(&mut self, id: SampleId) {
        self.rows.remove(&id);
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
            self.rows.clear();
        }
        if let Ok(rows) = store.list_rows(&missing) {
            for r in rows {
                self.rows.insert(r.id, r);
            }
        }
    }

    /// Draws the table; returns commands (select, sort is changed in place).
    pub fn ui(&mut self, ui: &mut egui::Ui, store: &Store, sort: &mut SortKey, descending: &mut bool) -> Vec<Command> {
        self.fetch(store);
        let mut commands = Vec::new();
        let mut table = TableBuilder::new(ui)
            .id_salt("samples")
            .striped(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(62.0))
            .column(Column::initial(90.0).at_least(40.0).clip(true))
            .column(Column::exact(48.0))
            .column(Column::exact(44.0))
            .column(Column::exact(44.0))
            .column(Column::initial(80.0).at_least(30.0).clip(true))
            .column(Column::exact(46.0))
            .column(Column::exact(46.0))
            .column(Column::exact(40.0))
            .column(Column::exact(40.0))
            .column(Column::remainder().at_least(60.0).clip(true))
            .min_scrolled_height(0.0)
            .auto_shrink([false, false]);
        if let Some(i) = self.scroll_to.take() {
            table = table.scroll_to_row(i, None);
        }
        let mut first = usize::MAX;
        let mut last = 0;
        table
            .header(22.0, |mut header| {
                for (title, key) in COLUMNS {
                    header.col(|ui| {
                        let arrow = if sort == key { if *descending { " v" } else { " ^" } } else { "" };
                        if ui
                            .selectable_label(sort == key, format!("{title}{arrow}"))
                            .on_hover_text(key.label())
                            .clicked()
                        {
                            if sort == key {
                                *descending = !*descending;
                            } else {
                                *sort = *key;
                                *descending = false;
                            }
                        }
                    });
                }
                header.col(|ui| {
                    ui.strong("prompt");
                });
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, self.ids.len(), |mut row| {
                    let i = row.index();
                    first = first.min(i);
                    last = last.max(i);
                    row.set_selected(self.selected == Some(i));
                    let id = self.ids[i];
                    match self.rows.get(&id) {
                        Some(r) => {
                            row.col(|ui| {
                                ui.label(id.to_string());
                            });
                            row.col(|ui| {
                                ui.label(&r.dataset);
                            });
                            row.col(|ui| {
                                ui.label(&r.modality);
                            });
                            row.col(|ui| {
                                ui.label(&r.original);
                            });
                            row.col(|ui| {
                                if r.edited {
                                    ui.strong(&r.current);
                                } else {
                                    ui.label(&r.current);
                                }
                            });
                            row.col(|ui| {
                                ui.label(r.model_a.as_deref().unwrap_or(""));
                            });
                            row.col(|ui| {
                                ui.label(r.len_a.map(|n| n.to_string()).unwrap_or_default());
                            });
                            row.col(|ui| {
                                ui.label(r.len_b.map(|n| n.to_string()).unwrap_or_default());
                            });
                            row.col(|ui| {
                                if let Some(f) = &r.flag {
                                    ui.colored_label(super::theme::FLAG, "F").on_hover_text(f);
                                }
                            });
                            row.col(|ui| {
                                if r.edited || r.noted {
                                    ui.label(if r.edited { "E" } else { "N" }).on_hover_text(if r.edited {
                                        "relabeled"
                                    } else {
                                        "has a note"
                                    });
                                }
                            });
                            row.col(|ui| {
                                ui.label(&r.prompt);
                            });
                        }
                        None => {
                            row.col(|ui| {
                                ui.label(id.to_string());
                            });
                            for _ in 1..=COLUMNS.len() {
                                row.col(|ui| {
                                    ui.weak("…");
                                });
                            }
                        }
                    }
                    if row.response().clicked() {
                        commands.push(Command::Select(i));
                    }
                });
            });
        if first <= last {
            let seen = first..last + 1;
            if seen != self.visible {
                self.visible = seen;
                if self.ids.get(self.visible.clone()).unwrap_or(&[]).iter().any(|id| !self.rows.contains_key(id)) {
                    ui.ctx().request_repaint();
                }
            }
        }
        commands
    }
}
