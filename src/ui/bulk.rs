//! Bulk curation in the app: the bar over the list while samples are marked (Ctrl-click,
//! Shift-click, Ctrl+A for every match of the filter), the confirmation that says how many samples
//! change (with a reason or a note where the action takes one), and the action itself: one
//! operation through the store's write path, one undo step, run as a background job when it is
//! large.

use super::commands::{BulkKind, Command};
use super::shared::{digit_reason, focus_if_unfocused, samples, thousands};

use crate::model::SampleId;
use crate::store::{Curated, CurationAction};
use std::fmt::Write as _;

/// A bulk action waiting for the curator's yes.
pub struct BulkDialog {
    /// The action.
    pub kind: BulkKind,
    /// The samples it will change (the marked ones, in list order).
    pub ids: Vec<SampleId>,
    /// The filter that listed them (recorded with the operation).
    pub query: String,
    /// The reason or note typed.
    pub text: String,
}

/// What the curator said.
pub enum BulkReply {
    /// Not yet.
    Open,
    /// No.
    Cancel,
    /// Yes: this action.
    Apply(CurationAction),
}

impl BulkDialog {
    /// Draws the confirmation; `enter` says plain Enter was pressed for it this frame.
    pub fn ui(&mut self, ctx: &egui::Context, enter: bool) -> BulkReply {
        let field = Self::field_id();
        let mut reply = BulkReply::Open;
        let title = format!("{} {}", self.kind.verb(), samples(self.ids.len()));
        let r = egui::Modal::new(egui::Id::unique("bulk_dialog")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading(&title);
            let reasons = self.kind.reasons();
            if let Some(reasons) = reasons {
                // 1-n pick a listed reason while none is typed (one picked may be changed), as in
                // the Flag dialog: their keys and the digits they type are taken before the
                // field, which has the keyboard, sees them. Enter then applies.
                let picking = self.text.is_empty() || reasons.contains(&self.text.as_str());
                if picking && let Some(r) = digit_reason(ui, reasons) {
                    r.clone_into(&mut self.text);
                }
                for (i, r) in reasons.iter().enumerate() {
                    if ui.selectable_label(self.text == *r, format!("{}  {r}", i + 1)).clicked() {
                        (*r).clone_into(&mut self.text);
                    }
                }
                let hint = if self.kind == BulkKind::Note { "note (empty clears it)" } else { "reason" };
                let edit = ui.add(egui::TextEdit::singleline(&mut self.text).hint_text(hint).id(field));
                focus_if_unfocused(ui, &edit);
            }
            ui.label(format!("{} marked, changed at once: one step of Undo.", samples(self.ids.len())));
            ui.weak(
                "Any it cannot change (already so, nothing to swap, one candidate) are left as they are and counted.",
            );
            if !self.query.trim().is_empty() {
                ui.weak(format!("Filter: {}", self.query));
            }
            let missing = self.kind != BulkKind::Note && reasons.is_some() && self.text.trim().is_empty();
            ui.horizontal(|ui| {
                let apply =
                    ui.add_enabled(!missing, egui::Button::new(format!("Apply to {}", samples(self.ids.len()))));
                if apply.clicked() || (enter && !missing) {
                    reply = BulkReply::Apply(self.kind.action(self.text.trim()));
                }
                if ui.button("Cancel").clicked() {
                    reply = BulkReply::Cancel;
                }
            });
            let keys = match reasons {
                Some(r) if !r.is_empty() => format!("1-{} pick a reason, or type one · ", r.len()),
                _ => String::new(),
            };
            ui.weak(if missing { format!("{keys}Esc cancels") } else { format!("{keys}Enter applies · Esc cancels") });
        });
        if r.should_close() && matches!(reply, BulkReply::Open) {
            reply = BulkReply::Cancel;
        }
        reply
    }

    /// The reason or note field's id (Enter there applies).
    pub fn field_id() -> egui::Id {
        egui::Id::unique("bulk_text")
    }
}

/// The bar over the list while samples are marked: how many, and the actions.
pub fn bar_ui(ui: &mut egui::Ui, marked: usize, all: bool) -> Vec<Command> {
    let mut out = Vec::new();
    ui.horizontal_wrapped(|ui| {
        let what = match (all, marked) {
            (true, 1) => "The one match".to_owned(),
            (true, n) => format!("All {} matches", thousands(n as u64)),
            (false, n) => format!("{} marked", samples(n)),
        };
        ui.strong(what);
        for kind in BulkKind::ALL {
            if ui.small_button(kind.label()).clicked() {
                out.push(Command::Bulk(*kind));
            }
        }
        if ui.small_button("Clear").on_hover_text("Esc").clicked() {
            out.push(Command::ClearMarks);
        }
    });
    ui.separator();
    out
}

/// A bulk action this many samples big runs as a job (a smaller one at once, on the UI's
/// connection: a few statements, well under a frame).
pub const JOB_THRESHOLD: usize = 2_000;

/// The outcome in one line: "1,204 changed, 3 left as they were (already so)".
pub fn describe(done: &Curated) -> String {
    let mut s = format!("{} changed", thousands(done.changes.samples.len() as u64));
    if !done.skipped.is_empty() {
        let why: Vec<String> = done.skipped.iter().map(|k| format!("{} {}", thousands(k.count), k.reason)).collect();
        let _ = write!(s, "; left as they were: {}", why.join(", "));
    }
    s
}
