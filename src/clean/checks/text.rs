//! The text rules: an empty response, a response cut off (mid-sentence, or at a length limit
//! many responses of its dataset share), chosen and rejected the same text, and media placeholder
//! tokens whose count differs from the sample's media.

use crate::clean::text::{jaccard, normalize, shingle_hashes, words};
use crate::model::{DatasetId, SampleId};
use std::collections::HashMap;

/// Whether a response says nothing: no text, or only white space.
pub fn is_empty(text: Option<&str>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

/// How a cut-off response is recognized.
///
/// A generation stopped by `max_new_tokens` ends wherever the token budget ran out: usually
/// mid-sentence, with no full stop, at a word boundary or inside a word; its length in tokens is
/// the limit, but its length in words or characters varies, so a token limit shows in the text
/// only as the missing sentence end. A dataset clipped by characters or words (`text[:512]`,
/// `split()[:200]`) shows as a length that many of its responses share exactly, and that none
/// exceeds: the maximum.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TruncationRule {
    /// Mid-sentence: the response has at least this many words ...
    pub min_words: usize,
    /// ... and its last line at least this many (a sentence running on, not a list item,
    /// heading or code line), and ends in a letter or digit with no sentence end after it.
    pub last_line_words: usize,
    /// A length limit: the dataset's longest length (characters or white-space words) is
    /// reached by at least this share of its responses ...
    pub limit_share: f64,
    /// ... and by at least this many ...
    pub limit_rows: u64,
    /// ... and is at least this many words (or four times as many characters): a cap on short
    /// answers (`A`, `yes`) is no truncation.
    pub limit_min_words: usize,
}

impl Default for TruncationRule {
    fn default() -> Self {
        Self { min_words: 30, last_line_words: 8, limit_share: 0.01, limit_rows: 5, limit_min_words: 16 }
    }
}

/// Whether a response stops mid-sentence: long enough to be an answer, its last line a sentence
/// running on (not a list item or code), ending in a letter or digit with no sentence end.
pub fn ends_mid_sentence(text: &str, rule: &TruncationRule) -> bool {
    let t = text.trim_end();
    if !t.chars().last().is_some_and(char::is_alphanumeric) || t.contains("```") {
        return false;
    }
    let last_line = t.rsplit('\n').next().unwrap_or(t).trim_start();
    let list_item = last_line.starts_with(['-', '*', '•', '#', '|', '>'])
        || last_line
            .split_once(['.', ')'])
            .is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    !list_item && words(t).len() >= rule.min_words && words(last_line).len() >= rule.last_line_words
}

/// The responses of each dataset at its longest length, to find lengths many share.
#[derive(Debug, Default)]
pub struct LengthLimits {
    datasets: HashMap<DatasetId, Longest>,
}

#[derive(Debug, Default)]
struct Longest {
    responses: u64,
    chars: (usize, Vec<(SampleId, u32)>),
    words: (usize, Vec<(SampleId, u32)>),
}

fn keep_longest(slot: &mut (usize, Vec<(SampleId, u32)>), len: usize, at: (SampleId, u32)) {
    if len > slot.0 {
        *slot = (len, vec![at]);
    } else if len == slot.0 && len > 0 {
        slot.1.push(at);
    }
}

/// A response cut at a length limit its dataset shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtLimit {
    /// The sample.
    pub sample: SampleId,
    /// The response.
    pub response: u32,
    /// The limit, in words.
    pub limit: String,
    /// How many responses of the dataset reach it, and how many it has.
    pub shared: (u64, u64),
}

impl LengthLimits {
    /// Counts a response with text.
    pub fn add(&mut self, dataset: DatasetId, sample: SampleId, response: u32, text: &str) {
        let d = self.datasets.entry(dataset).or_default();
        d.responses += 1;
        keep_longest(&mut d.chars, text.chars().count(), (sample, response));
        keep_longest(&mut d.words, text.split_whitespace().count(), (sample, response));
    }

    /// The responses at a limit their dataset shares (by characters, else by words).
    pub fn at_limits(&self, rule: &TruncationRule) -> Vec<AtLimit> {
        let mut out = Vec::new();
        for d in self.datasets.values() {
            let needed = rule.limit_rows.max((rule.limit_share * d.responses as f64).ceil() as u64);
            let shared = |slot: &(usize, Vec<(SampleId, u32)>)| slot.1.len() as u64 >= needed;
            let (unit, slot) = if d.chars.0 >= rule.limit_min_words * 4 && shared(&d.chars) {
                ("character", &d.chars)
            } else if d.words.0 >= rule.limit_min_words && shared(&d.words) {
                ("word", &d.words)
            } else {
                continue;
            };
            for &(sample, response) in &slot.1 {
                out.push(AtLimit {
                    sample,
                    response,
                    limit: crate::model::words::plural(slot.0 as u64, unit),
                    shared: (slot.1.len() as u64, d.responses),
                });
            }
        }
        out.sort_by_key(|a| (a.sample, a.response));
        out
    }
}

/// How alike chosen and rejected are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sameness {
    /// Equal after normalization (Unicode NFKC, case and white space folded).
    Same,
    /// This Jaccard similarity of their word shingles, at or above the threshold.
    Near(f64),
}

/// Whether two responses are the same text or nearly (`threshold` over word `shingle`-grams);
/// `None` when they differ, or when both are empty (the empty check names those).
pub fn sameness(a: &str, b: &str, shingle: usize, threshold: f64) -> Option<Sameness> {
    let (a, b) = (normalize(a), normalize(b));
    if a.is_empty() && b.is_empty() {
        return None;
    }
    if a == b {
        return Some(Sameness::Same);
    }
    let j = jaccard(&shingle_hashes(&a, shingle), &shingle_hashes(&b, shingle));
    (j >= threshold).then_some(Sameness::Near(j))
}

/// Media placeholder tokens in a text, by the kind of media they stand for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placeholders {
    /// `<image>`, `<image-placeholder>` (MIA-DPO), `<|image|>` (Llama 3.2 Vision), and numbered
    /// images (`<image_1>`, `<image1>`, `<|image_1|>` as Phi-3-Vision writes them) counted once
    /// per number however often they are named.
    pub image: u32,
    /// `<video>`.
    pub video: u32,
    /// `<audio>`.
    pub audio: u32,
}

/// Counts the placeholders in `texts` (a prompt and its earlier turns). Captions such as
/// MIA-DPO's `Image1:` beside an `<image>` are not placeholders: the `<image>` is.
pub fn placeholders<'a>(texts: impl IntoIterator<Item = &'a str>) -> Placeholders {
    let mut out = Placeholders::default();
    let mut numbered: Vec<u64> = Vec::new();
    for text in texts {
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            rest = &rest[open + 1..];
            let Some(close) = rest.find('>').filter(|&c| c <= 24) else { continue };
            let token = &rest[..close];
            let inner = token.strip_prefix('|').and_then(|t| t.strip_suffix('|')).unwrap_or(token);
            match inner {
                "image" | "image-placeholder" => out.image += 1,
                "video" => out.video += 1,
                "audio" => out.audio += 1,
                _ => {
                    let number = inner.strip_prefix("image").map(|n| n.strip_prefix('_').unwrap_or(n));
                    match number.filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
                        Some(n) => numbered.push(n.parse().unwrap_or(u64::MAX)),
                        None => continue,
                    }
                }
            }
            rest = &rest[close + 1..];
        }
    }
    numbered.sort_unstable();
    numbered.dedup();
    out.image += numbered.len() as u32;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN_ON: &str = "The image shows a busy street market with several stalls selling fruit and vegetables. \
        A woman in a red coat is handing money to a vendor while two children watch from behind a stack of \
        wooden crates and the vendor reaches for";

    #[test]
    fn emptiness_is_no_text_or_white_space() {
        assert!(is_empty(None));
        assert!(is_empty(Some(" \n\t ")));
        assert!(!is_empty(Some(" . ")));
    }

    #[test]
    fn a_long_answer_stopping_mid_sentence_is_cut_off_and_finished_ones_are_not() {
        let rule = TruncationRule::default();
        assert!(ends_mid_sentence(RUN_ON, &rule));
        assert!(ends_mid_sentence(&format!("{RUN_ON} the apples on the top she"), &rule));
        assert!(!ends_mid_sentence(&format!("{RUN_ON} the apples."), &rule), "a sentence end");
        assert!(!ends_mid_sentence("The vendor reaches for", &rule), "too short to be an answer");
        let list = format!("{RUN_ON} apples.\nThings to see:\n- a red coat and a vendor with many crates of fruit");
        assert!(!ends_mid_sentence(&list, &rule), "a list item");
        let numbered = format!("{RUN_ON} apples.\n2. the crates of fruit stacked by the stall in the back row");
        assert!(!ends_mid_sentence(&numbered, &rule), "a numbered item");
        assert!(!ends_mid_sentence(&format!("{RUN_ON} x.\n```\nlet a = b\n```\nfn main"), &rule), "code");
        assert!(!ends_mid_sentence(&format!("{RUN_ON} the apples)"), &rule), "ends in punctuation");
    }

    #[test]
    fn a_length_many_responses_share_at_the_top_is_a_limit() {
        let rule = TruncationRule::default();
        let mut limits = LengthLimits::default();
        let d = DatasetId(1);
        let capped = "x".repeat(120);
        for i in 0..100 {
            let text = if i % 10 == 0 { capped.clone() } else { "y".repeat(40 + i % 50) };
            limits.add(d, SampleId(i as i64), 0, &text);
        }
        let hits = limits.at_limits(&rule);
        assert_eq!(hits.len(), 10);
        assert_eq!(hits[0].limit, "120 characters");
        assert_eq!(hits[0].shared, (10, 100));

        // Four responses at the maximum are under the five a limit needs.
        let mut few = LengthLimits::default();
        for i in 0..100 {
            few.add(d, SampleId(i), 0, &if i < 4 { capped.clone() } else { "y".repeat(40) });
        }
        assert!(few.at_limits(&rule).is_empty());

        // Short answers all of one length are no truncation.
        let mut short = LengthLimits::default();
        for i in 0..100 {
            short.add(d, SampleId(i), 0, "B");
        }
        assert!(short.at_limits(&rule).is_empty());

        // A cap by words: 20 white-space words, longer in characters each time.
        let mut by_words = LengthLimits::default();
        for i in 0..50 {
            let words = if i % 5 == 0 { 20 } else { 10 };
            let text: Vec<String> = (0..words).map(|w| "w".repeat(1 + (w + i) % 7)).collect();
            by_words.add(d, SampleId(i as i64), 1, &text.join(" "));
        }
        let hits = by_words.at_limits(&rule);
        assert_eq!(hits.len(), 10, "{hits:?}");
        assert_eq!(hits[0].limit, "20 words");
    }

    #[test]
    fn sameness_is_equal_after_normalization_or_near_by_shingles() {
        assert_eq!(sameness("The  Cat sat.", "the cat SAT.", 3, 0.9), Some(Sameness::Same));
        let long: Vec<String> = (0..60).map(|i| format!("word{i}")).collect();
        let a = long.join(" ");
        let b = format!("{a} extra");
        match sameness(&a, &b, 3, 0.9) {
            Some(Sameness::Near(j)) => assert!((0.9..1.0).contains(&j), "{j}"),
            other => panic!("near: {other:?}"),
        }
        assert_eq!(sameness("a red car parked outside", "a blue bicycle leaning on a wall", 3, 0.9), None);
        assert_eq!(sameness(" ", "", 3, 0.9), None, "both empty: the empty check names them");
    }

    #[test]
    fn placeholders_count_tokens_and_numbered_images_once_per_number() {
        let p = placeholders(["Image1:<image>\nImage2:<image>\nWhich is larger?"]);
        assert_eq!(p, Placeholders { image: 2, video: 0, audio: 0 });
        assert_eq!(placeholders(["<image-placeholder> and <video> then <audio><audio>"]).image, 1);
        assert_eq!(placeholders(["<video>", "<audio> <audio>"]), Placeholders { image: 0, video: 1, audio: 2 });
        let numbered = placeholders(["Compare <image_1> with <image_2>; in <image_1> the sky is <|image_3|> <image4>"]);
        assert_eq!(numbered.image, 4);
        assert_eq!(placeholders(["<|image|> what is this? <b>bold</b> a < b > c <images>"]).image, 1);
        assert_eq!(placeholders(["no tokens here, 3 < 4"]), Placeholders::default());
    }
}
