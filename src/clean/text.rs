//! Text as the duplicate passes compare it: Unicode NFKC, case folded, every run of white space
//! one space, trimmed; its exact key (blake3 of that form) and its word shingles.

use twox_hash::XxHash3_64;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// The compared form of a text.
pub fn normalize(text: &str) -> String {
    // Most texts are already in NFKC (all ASCII ones are): composing them again changes nothing
    // and was half of the text pass's time.
    if text.is_ascii() {
        return fold_ascii(text);
    }
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        return fold(text.chars().flat_map(char::to_lowercase), text.len());
    }
    fold(text.nfkc().flat_map(char::to_lowercase), text.len())
}

/// [`fold`] of an ASCII text, lower-cased: each run between white space copied as a whole (a loop
/// the compiler vectorizes; a char at a time was a quarter of the text pass's time).
fn fold_ascii(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    // `char::is_whitespace` in ASCII: tab, line feed, vertical tab, form feed, return, space.
    for run in text.as_bytes().split(|b| matches!(b, b'\t'..=b'\r' | b' ')).filter(|r| !r.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend(run.iter().map(u8::to_ascii_lowercase));
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Every run of white space one space, trimmed.
fn fold(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut space = false;
    for c in chars {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The exact key of a text: the first 16 bytes of blake3 over its normalized form.
pub fn exact_key(normalized: &str) -> [u8; 16] {
    let mut key = [0u8; 16];
    key.copy_from_slice(&blake3::hash(normalized.as_bytes()).as_bytes()[..16]);
    key
}

/// The words of a normalized text: runs of letters and digits, each Chinese, Japanese or Korean
/// character a word of its own (as the full-text index splits them); punctuation and spaces
/// separate.
pub fn words(normalized: &str) -> Vec<&str> {
    if normalized.is_ascii() {
        let mut out = Vec::new();
        ascii_words(normalized, |w| out.push(w));
        return out;
    }
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in normalized.char_indices() {
        // Every split character is at or above U+1100: ASCII never asks.
        let split = u32::from(c) >= 0x1100 && crate::query::is_split_char(c);
        if c.is_alphanumeric() && !split {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            out.push(&normalized[s..i]);
        }
        if split {
            out.push(&normalized[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        out.push(&normalized[s..]);
    }
    out
}

/// The words of an ASCII text (runs of ASCII letters and digits), each given to `f`, byte by byte.
fn ascii_words<'a>(text: &'a str, mut f: impl FnMut(&'a str)) {
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            f(&text[s..i]);
        }
    }
    if let Some(s) = start {
        f(&text[s..]);
    }
}

/// The 64-bit hashes (XXH3) of a normalized text's word `k`-shingles (each `k` consecutive words
/// joined by one space), sorted and without repeats; a text of fewer than `k` words is one shingle
/// of all its words, a text without words has none.
pub fn shingle_hashes(normalized: &str, k: usize) -> Vec<u64> {
    let k = k.max(1);
    if k == 1 && normalized.is_ascii() {
        // Single words of ASCII text, hashed as they are found (no list of words first).
        let mut out = Vec::new();
        ascii_words(normalized, |w| out.push(XxHash3_64::oneshot(w.as_bytes())));
        out.sort_unstable();
        out.dedup();
        return out;
    }
    let words = words(normalized);
    let mut out: Vec<u64> = if words.is_empty() {
        Vec::new()
    } else if k == 1 {
        words.iter().map(|w| XxHash3_64::oneshot(w.as_bytes())).collect()
    } else {
        let mut buf = String::new();
        words
            .windows(k.min(words.len()))
            .map(|w| {
                buf.clear();
                for (i, word) in w.iter().enumerate() {
                    if i > 0 {
                        buf.push(' ');
                    }
                    buf.push_str(word);
                }
                XxHash3_64::oneshot(buf.as_bytes())
            })
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The Jaccard similarity of two sorted, repeat-free hash sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    both as f64 / (a.len() + b.len() - both) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_folds_width_case_and_space() {
        assert_eq!(normalize("  Ｈｅｌｌｏ\t\tWORLD \n ﬁne "), "hello world fine");
        // The ASCII and already-composed paths give what NFKC then lower case gives.
        for text in ["A\x0bB\x0c C\r\n", "Ça Va, ÉTÉ", "ΣΟΦΙΑ σοφία", "İstanbul", "e\u{301}t\u{e9}", "x\u{2163}y"]
        {
            let slow: String = text.nfkc().flat_map(char::to_lowercase).collect::<String>();
            let want = slow.split(char::is_whitespace).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            assert_eq!(normalize(text), want, "{text:?}");
        }
        assert_eq!(normalize(""), "");
        assert_eq!(exact_key(&normalize("A  b")), exact_key(&normalize("a b")));
    }

    #[test]
    fn words_are_letter_runs_and_cjk_characters() {
        assert_eq!(words("it's 2 cats, 好猫!"), ["it", "s", "2", "cats", "好", "猫"]);
        assert!(words(" .. ").is_empty());
        assert_eq!(words("a-b_c  9x."), ["a", "b", "c", "9x"]);
        assert_eq!(words("naïve-b_c"), ["naïve", "b", "c"]);
    }

    #[test]
    fn shingles_are_word_windows_and_short_texts_one_shingle() {
        assert_eq!(shingle_hashes("b, a. b", 1).len(), 2);
        let s = shingle_hashes("a b c d", 3);
        assert_eq!(s.len(), 2);
        let mut want = vec![XxHash3_64::oneshot(b"a b c"), XxHash3_64::oneshot(b"b c d")];
        want.sort_unstable();
        assert_eq!(s, want);
        assert_eq!(shingle_hashes("a b", 3), vec![XxHash3_64::oneshot(b"a b")]);
        assert!(shingle_hashes("", 3).is_empty());
    }

    #[test]
    fn the_ascii_paths_give_what_the_general_ones_give() {
        // Pseudo-random ASCII (letters, digits, punctuation, every ASCII space) through the ASCII
        // fold, words and single-word shingles, against the char-by-char definitions.
        let alphabet = b"aZ09 \t\n\x0b\x0c\r.,'_-!Qx";
        let mut state = 7u64;
        for len in 0..400 {
            let text: String = (0..len % 60)
                .map(|_| {
                    state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                    char::from(alphabet[(state >> 33) as usize % alphabet.len()])
                })
                .collect();
            let folded = fold(text.chars().flat_map(char::to_lowercase), text.len());
            assert_eq!(normalize(&text), folded, "{text:?}");
            let general: Vec<&str> = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
            assert_eq!(words(&folded), general, "{folded:?}");
            let mut hashes: Vec<u64> = general.iter().map(|w| XxHash3_64::oneshot(w.as_bytes())).collect();
            hashes.sort_unstable();
            hashes.dedup();
            assert_eq!(shingle_hashes(&folded, 1), hashes, "{folded:?}");
        }
    }

    #[test]
    fn jaccard_counts_shared_over_union() {
        assert!((jaccard(&[1, 2, 3], &[2, 3, 4]) - 0.5).abs() < 1e-12);
        assert!((jaccard(&[1], &[1]) - 1.0).abs() < 1e-12);
        assert!(jaccard(&[1], &[2]).abs() < 1e-12);
    }
}
