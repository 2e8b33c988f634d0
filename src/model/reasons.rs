//! The reasons curators give for a flag or an exclusion: the listed ones the app offers by number,
//! and the one spelling a reason is stored in, whichever front end wrote it. A reason typed as
//! `wrong_label`, `Wrong-Label` or `wrong  label` is the listed "wrong label"; any other reason is
//! kept as typed, trimmed, with runs of whitespace made one space. One spelling per reason keeps
//! badges, `show`, the query fields and the export's manifest agreeing.

/// Flag reasons offered by number in the app (anything else can be typed).
pub const FLAG_REASONS: &[&str] =
    &["wrong label", "both answers wrong", "bad media", "harmful content", "duplicate", "prompt unclear"];

/// Exclusion reasons offered by number in the app (anything else can be typed).
pub const EXCLUDE_REASONS: &[&str] = &["duplicate", "contamination", "bad media", "off-topic"];

/// `reason` in its stored spelling: the listed reason of `listed` it names (ignoring case and
/// the difference between `_`, `-` and spaces), else the text trimmed with whitespace collapsed.
pub fn canonical_reason(reason: &str, listed: &[&str]) -> String {
    let collapsed = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = reason_words(&collapsed);
    listed.iter().find(|l| reason_words(l) == key).map_or(collapsed, |l| (*l).to_owned())
}

/// A flag reason in its stored spelling.
pub fn canonical_flag(reason: &str) -> String {
    canonical_reason(reason, FLAG_REASONS)
}

/// An exclusion reason in its stored spelling.
pub fn canonical_exclusion(reason: &str) -> String {
    canonical_reason(reason, EXCLUDE_REASONS)
}

/// The words of a reason, lowercase: `_`, `-` and whitespace all separate words.
fn reason_words(text: &str) -> Vec<String> {
    text.split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_reason_has_one_spelling_however_it_is_typed() {
        for typed in ["wrong_label", "Wrong Label", "  wrong-label ", "WRONG__LABEL", "wrong \t label"] {
            assert_eq!(canonical_flag(typed), "wrong label", "{typed:?}");
        }
        assert_eq!(canonical_exclusion("off_topic"), "off-topic");
        assert_eq!(canonical_exclusion("Off Topic"), "off-topic");
        assert_eq!(canonical_exclusion("BAD_MEDIA"), "bad media");
        assert_eq!(canonical_flag("duplicate"), "duplicate");
    }

    #[test]
    fn any_other_reason_is_trimmed_with_whitespace_collapsed_and_kept() {
        assert_eq!(canonical_flag("  too   short\n"), "too short");
        assert_eq!(canonical_flag("too_short"), "too_short", "only listed reasons are respelled");
        assert_eq!(canonical_flag("wrong labels"), "wrong labels");
        assert_eq!(canonical_exclusion("contamination (MMLU)"), "contamination (MMLU)");
        assert_eq!(canonical_flag("   "), "");
    }
}
