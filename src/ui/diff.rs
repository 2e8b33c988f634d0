//! The word-level diff between two candidate texts, as two laid-out texts: words only in A are
//! marked in A, words only in B in B. Computed once per sample, not per frame.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};
use similar::{ChangeTag, TextDiff};
use std::time::Duration;

/// A diff that takes longer than this settles for a coarser one. It usually runs on the sample
/// loader thread (the next sample is loaded ahead); a jump computes it on the UI thread, where two
/// long answers must not stall more than a frame or two.
const DEADLINE: Duration = Duration::from_millis(20);

/// Which parts of one text differ from the other: (text, differs) runs in order.
pub type Runs = Vec<(String, bool)>;

/// Splits `a` and `b` into runs; a run is `true` where it is not in the other text.
pub fn word_runs(a: &str, b: &str) -> (Runs, Runs) {
    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .deadline(std::time::Instant::now() + DEADLINE)
        .diff_words(a, b);
    let (mut ra, mut rb): (Runs, Runs) = (Vec::new(), Vec::new());
    let push = |runs: &mut Runs, text: &str, differs: bool| match runs.last_mut() {
        Some((t, d)) if *d == differs => t.push_str(text),
        _ => runs.push((text.to_owned(), differs)),
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut ra, text, false);
                push(&mut rb, text, false);
            }
            // Whitespace-only changes are not worth a highlight.
            ChangeTag::Delete => push(&mut ra, text, !text.trim().is_empty()),
            ChangeTag::Insert => push(&mut rb, text, !text.trim().is_empty()),
        }
    }
    (ra, rb)
}

/// Lays out runs with differing words on `highlight`.
pub fn layout(runs: &Runs, text_color: Color32, highlight: Color32, wrap_width: f32) -> LayoutJob {
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap_width;
    let font = FontId::proportional(14.0);
    for (text, differs) in runs {
        let mut format = TextFormat::simple(font.clone(), text_color);
        if *differs {
            format.background = highlight;
        }
        job.append(text, 0.0, format);
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(runs: &Runs) -> Vec<&str> {
        runs.iter().filter(|(_, d)| *d).map(|(t, _)| t.trim()).collect()
    }

    #[test]
    fn only_the_changed_words_are_marked() {
        let (a, b) = word_runs("a red circle on the table", "a blue circle on the table");
        assert_eq!(marked(&a), vec!["red"]);
        assert_eq!(marked(&b), vec!["blue"]);
        let whole_a: String = a.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(whole_a, "a red circle on the table");
    }

    #[test]
    fn identical_texts_have_no_marks() {
        let (a, b) = word_runs("same words", "same words");
        assert!(marked(&a).is_empty() && marked(&b).is_empty());
    }
}
