//! The list while the query bar's text does not compile: the list of the last filter the curator
//! had, never the list of a word typed halfway on the way to the mistake.
//!
//! The bar runs a query at every key, so typing `modality:imag` lists `m`, `mo`, ... `modality`
//! (free text: no sample matches) before the `:` makes the text wrong; keeping "the list shown"
//! would keep that empty list. [`KeptFilter`] remembers the texts whose whole list came back and,
//! for a text that does not compile, picks the newest of them that the curator did not type on
//! the way to it: one the typed text does not go on from in the middle of a word. `is:flagged`
//! is kept under `is:flagged len_a>`; `modality` is not kept under `modality:imag`, the empty
//! filter (every sample) is. The query worker then lists that filter again.

use crate::store::SortKey;
use std::collections::VecDeque;

/// How many filters are remembered (most are steps of one typed text).
const REMEMBERED: usize = 64;

/// A filter as the worker was asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asked {
    text: String,
    sort: SortKey,
    descending: bool,
}

/// The filters whose lists came back, and which of them the list shows.
#[derive(Debug, Default)]
pub struct KeptFilter {
    /// Texts whose whole list came back, newest last.
    listed: VecDeque<String>,
    /// The request in flight: its generation and filter.
    pending: Option<(u64, Asked)>,
    /// The filter whose whole list the list shows (`None`: none yet, or only a first page).
    shown: Option<Asked>,
    /// While the typed text does not compile: the text whose list is kept instead.
    instead: Option<String>,
}

impl KeptFilter {
    /// Notes a request sent to the query worker.
    pub fn sent(&mut self, generation: u64, text: &str, sort: SortKey, descending: bool) {
        // Spaces at the end change nothing in a filter (`is:flagged ` is `is:flagged`).
        let text = text.trim_end().to_owned();
        self.pending = Some((generation, Asked { text, sort, descending }));
    }

    /// Notes that the list shows the first page of request `generation` (not a whole list).
    pub fn first_page(&mut self, generation: u64) {
        if self.pending.as_ref().is_some_and(|(g, _)| *g == generation) {
            self.shown = None;
        }
    }

    /// Notes that the whole list of request `generation` came back and is shown.
    pub fn listed(&mut self, generation: u64) {
        let Some((g, asked)) = self.pending.take() else { return };
        if g != generation {
            self.pending = Some((g, asked));
            return;
        }
        self.listed.retain(|t| *t != asked.text);
        self.listed.push_back(asked.text.clone());
        if self.listed.len() > REMEMBERED {
            self.listed.pop_front();
        }
        self.shown = Some(asked);
    }

    /// Forgets which list is shown (the project's data changed under it: it is listed again).
    pub fn forget_shown(&mut self) {
        self.shown = None;
    }

    /// For `typed`, a text that does not compile: the filter to list instead, `None` when the
    /// list already shows it whole (then nothing in flight should replace it).
    pub fn instead_of(&mut self, typed: &str, sort: SortKey, descending: bool) -> Option<String> {
        let kept = self.listed.iter().rev().find(|t| !on_the_way(t, typed)).cloned().unwrap_or_default();
        self.instead = Some(kept.clone());
        let asked = Asked { text: kept, sort, descending };
        (self.shown.as_ref() != Some(&asked)).then_some(asked.text)
    }

    /// A text that compiles is being listed: nothing is kept instead.
    pub fn clear_instead(&mut self) {
        self.instead = None;
    }

    /// While the typed text does not compile: the filter whose list is kept (`""`: every sample).
    pub fn kept(&self) -> Option<&str> {
        self.instead.as_deref()
    }
}

/// Whether `earlier` was typed on the way to `typed`: `typed` goes on from it within a word.
/// The empty filter never is (it is where typing starts).
fn on_the_way(earlier: &str, typed: &str) -> bool {
    let earlier = earlier.trim_end();
    !earlier.is_empty()
        && typed.len() > earlier.len()
        && typed.starts_with(earlier)
        && !typed[earlier.len()..].starts_with(char::is_whitespace)
}

/// Said after the error of a filter that does not compile: what the list shows instead.
pub fn keeping_text(kept: &str) -> String {
    if kept.is_empty() {
        " · the list shows every sample".to_owned()
    } else {
        format!(" · the list still shows the matches of `{kept}`")
    }
}

/// What the list says when it is empty, from the query bar's state: a filter that does not
/// compile (the kept filter matched nothing), a filter that matches nothing, or a project with no
/// sample yet.
pub fn empty_list_text(typed: &str, kept: Option<&str>) -> String {
    match kept {
        Some("") => "The filter as typed is wrong (see above), and the project holds no sample yet.".to_owned(),
        Some(k) => format!("The filter as typed is wrong (see above); the last one, `{k}`, matches no sample."),
        None if typed.trim().is_empty() => {
            "The project holds no sample yet. Import a dataset (File > Import, or drop a file here).".to_owned()
        }
        None => "No sample matches this filter.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Types `text` one character at a time, each step's whole list coming back before the next
    /// key when it compiles (as `compiles` says).
    fn type_keys(kept: &mut KeptFilter, generation: &mut u64, text: &str, compiles: impl Fn(&str) -> bool) {
        for end in text.char_indices().map(|(i, c)| i + c.len_utf8()) {
            let typed = &text[..end];
            if compiles(typed) {
                *generation += 1;
                kept.sent(*generation, typed, SortKey::Id, false);
                kept.listed(*generation);
                kept.clear_instead();
            }
        }
    }

    #[test]
    fn a_word_typed_halfway_is_not_kept_a_whole_filter_is() {
        let mut kept = KeptFilter::default();
        let mut generation = 0;
        kept.sent(1, "", SortKey::Id, false);
        kept.listed(1);
        generation += 1;
        // `modality:` and what follows do not compile until the value is a known one.
        type_keys(&mut kept, &mut generation, "modality:imag", |t| !t.contains(':'));
        assert_eq!(kept.instead_of("modality:imag", SortKey::Id, false).as_deref(), Some(""), "every sample again");
        assert_eq!(kept.kept(), Some(""));
        kept.sent(99, "", SortKey::Id, false);
        kept.listed(99);
        assert_eq!(kept.instead_of("modality:imag", SortKey::Id, false), None, "already shown");

        // A whole filter, then a condition typed after a space: the filter is kept.
        type_keys(&mut kept, &mut generation, "is:flagged len_a>", |t| !t.ends_with('>'));
        assert_eq!(kept.instead_of("is:flagged len_a>", SortKey::Id, false).as_deref(), Some("is:flagged"));
        // Another sort: listed again.
        kept.sent(200, "is:flagged", SortKey::Id, false);
        kept.listed(200);
        assert_eq!(kept.instead_of("is:flagged len_a>", SortKey::Id, false), None);
        assert_eq!(kept.instead_of("is:flagged len_a>", SortKey::LenA, false).as_deref(), Some("is:flagged"));

        // Back from a good filter to a wrong one: the good one is kept.
        kept.sent(300, "modality:image", SortKey::Id, false);
        kept.listed(300);
        assert_eq!(kept.instead_of("modality:imag", SortKey::Id, false), None, "the list shown stays");
        assert_eq!(kept.kept(), Some("modality:image"));
    }

    #[test]
    fn a_first_page_or_a_data_change_is_not_a_whole_list() {
        let mut kept = KeptFilter::default();
        kept.sent(1, "", SortKey::Id, false);
        kept.listed(1);
        kept.sent(2, "x", SortKey::Id, false);
        kept.first_page(2);
        assert_eq!(kept.instead_of("x:", SortKey::Id, false).as_deref(), Some(""), "a page of `x` is shown");
        kept.listed(1);
        kept.sent(3, "", SortKey::Id, false);
        kept.listed(3);
        kept.forget_shown();
        assert_eq!(kept.instead_of("x:", SortKey::Id, false).as_deref(), Some(""));
    }

    #[test]
    fn the_empty_list_says_why() {
        assert!(empty_list_text("", None).contains("Import a dataset"));
        assert_eq!(empty_list_text("is:flagged", None), "No sample matches this filter.");
        assert!(empty_list_text("is:flagged len_a>", Some("is:flagged")).contains("`is:flagged`"));
        assert!(!empty_list_text("modality:imag", Some("")).contains("matches no sample"));
    }
}
