//! Text as the duplicate passes compare it: Unicode NFKC, case folded, every run of white space
//! one space, trimmed; its exact key (blake3 of that form) and its word shingles.

use twox_hash::XxHash3_64;
use unicode_normalization::UnicodeNormalization;

/// The compared form of a text.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkc().flat_map(char::to_lowercase) {
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

/// The 64-bit hashes of a normalized text's word `k`-shingles (each `k` consecutive words joined by
/// one space, hashed with XXH3), sorted and without repeats; a text of fewer than `k` words is one
/// shingle, an empty text none.
pub fn shingle_hashes(normalized: &str, k: usize) -> Vec<u64> {
    let k = k.max(1);
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    let mut out: Vec<u64> = if words.is_empty() {
        Vec::new()
    } else if words.len() <= k {
        vec![XxHash3_64::oneshot(normalized.as_bytes())]
    } else {
        // The shingle is the slice of the normalized text from its first word to its last: the words
        // are separated by exactly one space there, so no string is built.
        let base = normalized.as_ptr() as usize;
        words
            .windows(k)
            .map(|w| {
                let start = w[0].as_ptr() as usize - base;
                let end = w[k - 1].as_ptr() as usize - base + w[k - 1].len();
                XxHash3_64::oneshot(&normalized.as_bytes()[start..end])
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
        assert_eq!(normalize(""), "");
        assert_eq!(exact_key(&normalize("A  b")), exact_key(&normalize("a b")));
    }

    #[test]
    fn shingles_are_word_windows_and_short_texts_one_shingle() {
        let s = shingle_hashes("a b c d", 3);
        assert_eq!(s.len(), 2);
        let mut want = vec![XxHash3_64::oneshot(b"a b c"), XxHash3_64::oneshot(b"b c d")];
        want.sort_unstable();
        assert_eq!(s, want);
        assert_eq!(shingle_hashes("a b", 3), vec![XxHash3_64::oneshot(b"a b")]);
        assert!(shingle_hashes("", 3).is_empty());
    }

    #[test]
    fn jaccard_counts_shared_over_union() {
        assert!((jaccard(&[1, 2, 3], &[2, 3, 4]) - 0.5).abs() < 1e-12);
        assert!((jaccard(&[1], &[1]) - 1.0).abs() < 1e-12);
        assert!(jaccard(&[1], &[2]).abs() < 1e-12);
    }
}
