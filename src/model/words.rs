//! Counts in words, as every front end writes them: `1 warning`, `2 warnings`, `0 warnings`.
//! One place, so that no message says "1 warnings" or "Holds 1 other entries".

use std::fmt::Display;

/// `n` and the noun that goes with it: `one` for exactly 1, else `many`
/// (`count(1, "entry", "entries")` is `1 entry`). `n` is written as given (see [`count_as`] for
/// a number written with thousands separators).
pub fn count(n: u64, one: &str, many: &str) -> String {
    count_as(n, &n, one, many)
}

/// Like [`count`], with the number written as `shown` (`1,204 samples`).
pub fn count_as(n: u64, shown: &impl Display, one: &str, many: &str) -> String {
    format!("{shown} {}", if n == 1 { one } else { many })
}

/// A noun that takes an `s` in the plural: `plural(n, "sample")` is `1 sample`, `3 samples`.
pub fn plural(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(plural(1, "warning"), "1 warning");
        assert_eq!(plural(0, "warning"), "0 warnings");
        assert_eq!(plural(2, "warning"), "2 warnings");
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(7, "entry", "entries"), "7 entries");
        assert_eq!(count_as(1204, &"1,204", "sample", "samples"), "1,204 samples");
    }
}
