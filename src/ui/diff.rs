//! The word-level diff between two candidate texts: words only in A are marked in A, words only
//! in B in B. Computed once per sample, never per frame; long texts on a `word-diff` thread while
//! the candidates show unmarked (see [`WordDiff`]).
//!
//! The cost stays near linear in the texts' length: the texts are cut into words and sentences,
//! sentences that occur in both anchor the diff, and only the stretches between them are diffed
//! word by word. A long stretch that shares little (two independent answers) is marked whole
//! instead of being matched word by word for a handful of common words; tokens that occur on one
//! side only are marked without entering the diff at all.

use egui::text::{CCursor, LayoutJob};
use egui::{Color32, FontId, Galley, Rect, Shape};
use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::mpsc::{Receiver, TryRecvError, sync_channel};
use std::time::{Duration, Instant};

/// Whatever is left undiffed when this has passed is marked whole (a safety net: the texts'
/// sentences and rare words usually bound the work far below it). Short texts, diffed where the
/// sample is loaded (on the UI thread after a jump), get the short one.
const INLINE_DEADLINE: Duration = Duration::from_millis(40);
/// The deadline on the `word-diff` thread: the curator sees the candidates meanwhile, so it can
/// be long enough for an unoptimized build on a busy machine.
const THREAD_DEADLINE: Duration = Duration::from_millis(500);

/// Texts at most this long (both together, in bytes) are diffed where the sample is loaded (well
/// under a millisecond); longer ones on a thread of their own.
pub const INLINE_BYTES: usize = 8 * 1024;

/// A stretch between matching sentences at most this large (words of A times words of B) is
/// diffed word by word whatever it shares; a larger one only when most of its word pairs
/// (bigrams) are on both sides.
const SMALL_STRETCH: usize = 1024 * 1024;

/// One side of a diff: its text and the character ranges (not bytes) not in the other side.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Marked {
    /// The whole text.
    pub text: String,
    /// Differing parts, as character ranges, in order.
    pub marks: Vec<Range<usize>>,
}

/// A word, a number, one CJK character or one punctuation mark; whitespace is not a token.
struct Token {
    bytes: Range<usize>,
    /// Where it starts and ends, in characters.
    chars: Range<usize>,
    /// A sentence or line ends after it.
    ends_sentence: bool,
    /// Only whitespace without a line break separates it from the next token.
    joins_next: bool,
}

/// Ideographs and kana are words of their own: those scripts put no spaces between words.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x3040..=0x30ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff)
}

fn tokens(text: &str) -> Vec<Token> {
    let word = |c: char| (c.is_alphanumeric() || c == '_') && !is_cjk(c);
    let mut out: Vec<Token> = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut n = 0;
    while let Some((at, c)) = chars.next() {
        let start = n;
        n += 1;
        if c.is_whitespace() {
            let mut newline = c == '\n';
            while let Some(&(_, d)) = chars.peek().filter(|(_, d)| d.is_whitespace()) {
                newline |= d == '\n';
                chars.next();
                n += 1;
            }
            if let Some(last) = out.last_mut() {
                let stop = matches!(&text[last.bytes.clone()], "." | "!" | "?" | ";" | ":");
                last.ends_sentence |= newline || stop;
                last.joins_next = !newline;
            }
            continue;
        }
        let mut end = at + c.len_utf8();
        if word(c) {
            // Apostrophes inside a word ("don't") keep it one word.
            while let Some(&(j, d)) = chars.peek().filter(|(_, d)| word(*d) || *d == '\'') {
                end = j + d.len_utf8();
                chars.next();
                n += 1;
            }
        }
        let full_stop = matches!(c, '。' | '！' | '？');
        out.push(Token { bytes: at..end, chars: start..n, ends_sentence: full_stop, joins_next: true });
    }
    out
}

/// Numbers each distinct item, in order of first sight.
fn intern<K: std::hash::Hash + Eq>(items: impl Iterator<Item = K>, ids: &mut HashMap<K, u32>) -> Vec<u32> {
    items
        .map(|k| {
            let next = ids.len() as u32;
            *ids.entry(k).or_insert(next)
        })
        .collect()
}

/// Token ranges of the sentences.
fn sentences(tokens: &[Token]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.ends_sentence {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < tokens.len() {
        out.push(start..tokens.len());
    }
    out
}

/// The pairs `(i, j)` with `a[i] == b[j]` that a patience diff matches, in order. Items only
/// one side has cannot match: they are left out first, which keeps two texts that share little
/// from costing as much as two that share a lot.
fn matches(a: &[u32], b: &[u32], deadline: Instant) -> Vec<(usize, usize)> {
    let in_a: HashSet<u32> = a.iter().copied().collect();
    let in_b: HashSet<u32> = b.iter().copied().collect();
    let (ia, ra): (Vec<usize>, Vec<u32>) =
        a.iter().enumerate().filter(|(_, x)| in_b.contains(x)).map(|(i, x)| (i, *x)).unzip();
    let (ib, rb): (Vec<usize>, Vec<u32>) =
        b.iter().enumerate().filter(|(_, x)| in_a.contains(x)).map(|(i, x)| (i, *x)).unzip();
    let mut out = Vec::new();
    for op in capture_diff_slices_deadline(Algorithm::Patience, &ra, &rb, Some(deadline)) {
        if let DiffOp::Equal { old_index, new_index, len } = op {
            out.extend((0..len).map(|k| (ia[old_index + k], ib[new_index + k])));
        }
    }
    out
}

/// Whether at least half of `b`'s word pairs are also in `a`: two versions of one answer, not
/// two answers.
fn shares_most(a: &[u32], b: &[u32]) -> bool {
    let pair = |w: &[u32]| (u64::from(w[0]) << 32) | u64::from(w[1]);
    let in_a: HashSet<u64> = a.windows(2).map(pair).collect();
    let shared = b.windows(2).filter(|w| in_a.contains(&pair(w))).count();
    shared * 2 >= b.len().saturating_sub(1).max(1)
}

/// Marks what differs between two stretches of tokens (`marks_*` are the stretches' own flags).
fn diff_stretch(a: &[u32], b: &[u32], marks_a: &mut [bool], marks_b: &mut [bool], deadline: Instant) {
    marks_a.fill(true);
    marks_b.fill(true);
    if a.is_empty() || b.is_empty() || Instant::now() >= deadline {
        return;
    }
    if a.len() * b.len() > SMALL_STRETCH && !shares_most(a, b) {
        return;
    }
    for (i, j) in matches(a, b, deadline) {
        marks_a[i] = false;
        marks_b[j] = false;
    }
}

/// Splits `a` and `b` into marked texts: a mark where a word is not in the other text. Runs
/// where it is called, for up to the thread's deadline: the UI goes through [`WordDiff`].
pub fn word_runs(a: &str, b: &str) -> (Marked, Marked) {
    word_runs_within(a, b, THREAD_DEADLINE)
}

/// [`word_runs`], marking whatever is left undiffed after `limit` whole.
fn word_runs_within(a: &str, b: &str, limit: Duration) -> (Marked, Marked) {
    let deadline = Instant::now() + limit;
    let (ta, tb) = (tokens(a), tokens(b));
    let mut words = HashMap::new();
    let ids_a = intern(ta.iter().map(|t| &a[t.bytes.clone()]), &mut words);
    let ids_b = intern(tb.iter().map(|t| &b[t.bytes.clone()]), &mut words);
    let (sa, sb) = (sentences(&ta), sentences(&tb));
    let mut sentence_ids = HashMap::new();
    let keys_a = intern(sa.iter().map(|r| &ids_a[r.clone()]), &mut sentence_ids);
    let keys_b = intern(sb.iter().map(|r| &ids_b[r.clone()]), &mut sentence_ids);
    let (mut marks_a, mut marks_b) = (vec![false; ta.len()], vec![false; tb.len()]);
    // Equal sentences anchor; each stretch between two anchors is diffed word by word.
    let mut anchors = matches(&keys_a, &keys_b, deadline);
    anchors.push((sa.len(), sb.len()));
    let (mut next_a, mut next_b) = (0, 0);
    for (i, j) in anchors {
        let stretch_a = sa.get(next_a).map_or(ta.len(), |r| r.start)..sa.get(i).map_or(ta.len(), |r| r.start);
        let stretch_b = sb.get(next_b).map_or(tb.len(), |r| r.start)..sb.get(j).map_or(tb.len(), |r| r.start);
        diff_stretch(
            &ids_a[stretch_a.clone()],
            &ids_b[stretch_b.clone()],
            &mut marks_a[stretch_a],
            &mut marks_b[stretch_b],
            deadline,
        );
        (next_a, next_b) = (i + 1, j + 1);
    }
    (marked(a, &ta, &marks_a), marked(b, &tb, &marks_b))
}

/// The text with its marked tokens as character ranges; neighbours that only spaces separate
/// make one mark, so a changed phrase reads as one highlight (a line break ends it).
fn marked(text: &str, tokens: &[Token], marks: &[bool]) -> Marked {
    let mut out = Marked { text: text.to_owned(), marks: Vec::new() };
    for (i, t) in tokens.iter().enumerate().filter(|(i, _)| marks[*i]) {
        let joins = i > 0 && marks[i - 1] && tokens[i - 1].joins_next;
        match out.marks.last_mut() {
            Some(last) if joins => last.end = t.chars.end,
            _ => out.marks.push(t.chars.clone()),
        }
    }
    out
}

/// A sample's word diff: ready, or on its way from its own thread.
pub enum WordDiff {
    /// The marks of A and B.
    Ready(Box<(Marked, Marked)>),
    /// Being computed on a `word-diff` thread; the candidates show unmarked meanwhile.
    Pending(Receiver<(Marked, Marked)>),
    /// No thread could be started (or it ended without an answer): no marks.
    Unavailable,
}

impl WordDiff {
    /// Diffs `a` against `b`: at once when both are short, else on a named thread whose answer
    /// comes through a channel of one (nothing waits for it; a sample left before it answers
    /// drops the receiver and the thread's send fails).
    pub fn start(a: &str, b: &str) -> Self {
        Self::start_within(a, b, [INLINE_DEADLINE, THREAD_DEADLINE])
    }

    /// [`WordDiff::start`] with the deadlines for a diff here and on the thread.
    fn start_within(a: &str, b: &str, [inline, on_thread]: [Duration; 2]) -> Self {
        if a.len() + b.len() <= INLINE_BYTES {
            return Self::Ready(Box::new(word_runs_within(a, b, inline)));
        }
        let (tx, rx) = sync_channel(1);
        let (a, b) = (a.to_owned(), b.to_owned());
        let spawned = std::thread::Builder::new().name("word-diff".into()).spawn(move || {
            let _ = tx.send(word_runs_within(&a, &b, on_thread));
        });
        match spawned {
            Ok(_) => Self::Pending(rx),
            Err(_) => Self::Unavailable,
        }
    }

    /// The marks, once they are there; never blocks.
    pub fn poll(&mut self) -> Option<&(Marked, Marked)> {
        if let Self::Pending(rx) = self {
            match rx.try_recv() {
                Ok(d) => *self = Self::Ready(Box::new(d)),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => *self = Self::Unavailable,
            }
        }
        self.ready()
    }

    /// The marks, if they have arrived by the last [`WordDiff::poll`].
    pub fn ready(&self) -> Option<&(Marked, Marked)> {
        match self {
            Self::Ready(d) => Some(d),
            _ => None,
        }
    }

    /// Waits for the marks (for tests and benchmarks; the UI polls).
    pub fn wait(&mut self) -> Option<&(Marked, Marked)> {
        if let Self::Pending(rx) = self {
            *self = rx.recv().map_or(Self::Unavailable, |d| Self::Ready(Box::new(d)));
        }
        self.poll()
    }

    /// Whether the thread has not answered yet.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending(_))
    }
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
        m.marks.iter().map(|r| m.text.chars().skip(r.start).take(r.len()).collect::<String>()).collect()
    }

    /// Content checks must not depend on this machine's speed (an unoptimized build on a busy
    /// machine can reach the deadline): no deadline to speak of.
    const NO_HURRY: Duration = Duration::from_mins(1);

    fn share(m: &Marked) -> f64 {
        m.marks.iter().map(Range::len).sum::<usize>() as f64 / m.text.chars().count() as f64
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
        // Punctuation is its own token: the word changes, its comma does not.
        let (a, b) = word_runs("Yes, the cat sleeps.", "No, the cat sleeps.");
        assert_eq!((marked(&a), marked(&b)), (vec!["Yes".to_owned()], vec!["No".to_owned()]));
        // Scripts without spaces: one character is one word.
        let (a, b) = word_runs("我喜欢猫。", "我喜欢狗。");
        assert_eq!((marked(&a), marked(&b)), (vec!["猫".to_owned()], vec!["狗".to_owned()]));
    }

    #[test]
    fn identical_texts_and_whitespace_changes_have_no_marks() {
        let (a, b) = word_runs("same words", "same words");
        assert!(a.marks.is_empty() && b.marks.is_empty());
        let (a, b) = word_runs("same  words\nhere", "same words here");
        assert!(a.marks.is_empty() && b.marks.is_empty(), "{a:?} {b:?}");
    }

    #[test]
    fn a_mark_stops_at_a_line_break_and_added_text_is_marked_on_its_side_only() {
        let (a, b) = word_runs("one two\nthree four", "one six\nseven four");
        assert_eq!(marked(&a), vec!["two", "three"]);
        assert_eq!(marked(&b), vec!["six", "seven"]);
        let (a, b) = word_runs("First. Second.", "First. Inserted here. Second.");
        assert!(a.marks.is_empty());
        assert_eq!(marked(&b), vec!["Inserted here."]);
    }

    /// Sentences of made-up words, `n` of them, numbered so that each is different.
    fn sentences_text(prefix: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{prefix} sentence number {i} says {} things.", i * 7 % 13))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn long_texts_mark_their_edits_only_and_unrelated_ones_whole() {
        // 40 KB each: one word changed in every tenth sentence.
        let a = sentences_text("This", 1000);
        let b = a
            .split(". ")
            .enumerate()
            .map(|(i, s)| if i % 10 == 0 { s.replacen("says", "claims", 1) } else { s.to_owned() })
            .collect::<Vec<_>>()
            .join(". ");
        assert!(a.len() > INLINE_BYTES);
        let (ma, mb) = word_runs_within(&a, &b, NO_HURRY);
        assert_eq!(ma.marks.len(), 100, "one mark per edited sentence");
        let odd: Vec<String> =
            marked(&ma).into_iter().chain(marked(&mb)).filter(|w| w != "says" && w != "claims").collect();
        assert!(odd.is_empty(), "{odd:?}");

        // Two long answers that share no sentence and few word pairs are marked whole, not
        // matched on their common words.
        let c = (0..4000).map(|i| format!("w{}", i * 31 % 997)).collect::<Vec<_>>().join(" ");
        let (ma, mc) = word_runs_within(&a, &c, NO_HURRY);
        assert!(share(&ma) > 0.99 && share(&mc) > 0.99, "{} {}", share(&ma), share(&mc));
    }

    #[test]
    fn short_texts_are_diffed_at_once_and_long_ones_on_a_thread_with_the_same_result() {
        let mut short = WordDiff::start_within("a red ball", "a blue ball", [NO_HURRY; 2]);
        assert!(!short.is_pending());
        assert_eq!(short.poll().map(|(a, _)| marked(a)), Some(vec!["red".to_owned()]));

        let a = sentences_text("Long", 400);
        let b = a.replace("number 5 ", "number five ");
        assert!(a.len() > INLINE_BYTES / 2);
        let mut long = WordDiff::start_within(&a, &b, [NO_HURRY; 2]);
        assert!(long.is_pending(), "a long pair is not diffed where it is loaded");
        let (ma, mb) = long.wait().expect("the thread answers");
        assert_eq!((marked(ma), marked(mb)), (vec!["5".to_owned()], vec!["five".to_owned()]));
        assert!(!long.is_pending());
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
