//! The word-level diff between two candidate texts: words only in A are marked in A, words only
//! in B in B. Computed once per sample (on the loader thread, usually), not per frame.

use egui::text::{CCursor, LayoutJob};
use egui::{Color32, FontId, Galley, Rect, Shape};
use similar::{ChangeTag, TextDiff};
use std::ops::Range;
use std::time::Duration;

/// A diff that takes longer than this settles for a coarser one. It usually runs on the sample
/// loader thread (the next sample is loaded ahead); a jump computes it on the UI thread, where two
/// long answers must not stall more than a frame or two.
const DEADLINE: Duration = Duration::from_millis(20);

/// One side of a diff: its text and the character ranges (not bytes) not in the other side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marked {
    /// The whole text.
    pub text: String,
    /// Differing parts, as character ranges, in order.
    pub marks: Vec<Range<usize>>,
}

impl Marked {
    /// Joins marks that only whitespace separates, so a changed phrase reads as one highlight.
    fn bridge_spaces(&mut self) {
        let chars: Vec<char> = self.text.chars().collect();
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(self.marks.len());
        for m in self.marks.drain(..) {
            match merged.last_mut() {
                Some(last) if chars[last.end..m.start].iter().all(|c| c.is_whitespace()) => last.end = m.end,
                _ => merged.push(m),
            }
        }
        self.marks = merged;
    }

    fn push(&mut self, text: &str, differs: bool) {
        let start = self.text.chars().count();
        self.text.push_str(text);
        if !differs {
            return;
        }
        let end = start + text.chars().count();
        match self.marks.last_mut() {
            Some(last) if last.end == start => last.end = end,
            _ => self.marks.push(start..end),
        }
    }
}

/// Splits `a` and `b` into marked texts: a mark where a word is not in the other text.
pub fn word_runs(a: &str, b: &str) -> (Marked, Marked) {
    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .deadline(std::time::Instant::now() + DEADLINE)
        .diff_words(a, b);
    let (mut ra, mut rb) = (Marked::default(), Marked::default());
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                ra.push(text, false);
                rb.push(text, false);
            }
            // Whitespace-only changes are not worth a highlight.
            ChangeTag::Delete => ra.push(text, !text.trim().is_empty()),
            ChangeTag::Insert => rb.push(text, !text.trim().is_empty()),
        }
    }
    ra.bridge_spaces();
    rb.bridge_spaces();
    (ra, rb)
}

/// Shows a marked text, wrapped to the available width, its marks on `highlight`. The text is
/// laid out as one run (styling each mark as a section of its own would shape the text once per
/// section, which made a new sample's first frame several times slower); the marks are painted
/// behind it from the laid-out rows.
pub fn marked_label(ui: &mut egui::Ui, marked: &Marked, highlight: Color32) -> egui::Response {
    let job = LayoutJob::simple(
        marked.text.clone(),
        FontId::proportional(14.0),
        ui.visuals().text_color(),
        ui.available_width(),
    );
    let galley = ui.fonts_mut(|f| f.layout_job(job));
    let behind = ui.painter().add(Shape::Noop);
    let response = ui.add(egui::Label::new(galley.clone()).selectable(true));
    let origin = response.rect.min.to_vec2();
    let shapes = marked
        .marks
        .iter()
        .flat_map(|range| mark_rects(&galley, range))
        .map(|r| Shape::rect_filled(r.translate(origin), 2.0, highlight))
        .collect();
    ui.painter().set(behind, Shape::Vec(shapes));
    response
}

/// The rectangles (one per row) that cover characters `range` of `galley`.
fn mark_rects(galley: &Galley, range: &Range<usize>) -> Vec<Rect> {
    let from = galley.layout_from_cursor(CCursor::new(range.start));
    let to = galley.layout_from_cursor(CCursor::new(range.end));
    (from.row..=to.row)
        .filter_map(|i| {
            let row = galley.rows.get(i)?;
            let x0 = if i == from.row { galley.pos_from_layout_cursor(&from).min.x } else { row.pos.x };
            let x1 = if i == to.row { galley.pos_from_layout_cursor(&to).min.x } else { row.rect().max.x };
            (x1 > x0).then(|| Rect::from_x_y_ranges(x0..=x1, row.rect().y_range()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(m: &Marked) -> Vec<String> {
        m.marks
            .iter()
            .map(|r| m.text.chars().skip(r.start).take(r.len()).collect::<String>().trim().to_owned())
            .collect()
    }

    #[test]
    fn only_the_changed_words_are_marked() {
        let (a, b) = word_runs("a red circle on the table", "a blue circle on the table");
        assert_eq!(marked(&a), vec!["red"]);
        assert_eq!(marked(&b), vec!["blue"]);
        assert_eq!(a.text, "a red circle on the table");
        // Neighbouring changed words are one mark, across the space between them.
        let (a, _) = word_runs("the big red ball", "the small blue ball");
        assert_eq!(marked(&a), vec!["big red"]);
        // Character ranges, not bytes: the accented word is found where it is.
        let (a, _) = word_runs("un café noir", "un thé noir");
        assert_eq!(marked(&a), vec!["café"]);
    }

    #[test]
    fn identical_texts_have_no_marks() {
        let (a, b) = word_runs("same words", "same words");
        assert!(a.marks.is_empty() && b.marks.is_empty());
    }

    #[test]
    fn marks_cover_their_words_across_wrapped_rows() {
        let ctx = egui::Context::default();
        ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        let text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".to_owned();
        let galley =
            ctx.fonts_mut(|f| f.layout_job(LayoutJob::simple(text, FontId::proportional(14.0), Color32::WHITE, 120.0)));
        assert!(galley.rows.len() > 2, "wraps");
        // "gamma" (chars 11..16) sits on one row; a range across rows gets one rect per row.
        let one = mark_rects(&galley, &(11..16));
        assert_eq!(one.len(), 1);
        assert!(one[0].width() > 10.0 && one[0].width() < 120.0);
        let all = mark_rects(&galley, &(0..galley.text().chars().count()));
        assert!(all.len() >= galley.rows.len() - 1, "{} rects for {} rows", all.len(), galley.rows.len());
        assert!(all.windows(2).all(|w| w[0].min.y < w[1].min.y), "one per row, top to bottom");
    }
}
