//! The kinds of finding `verdict check` reports, in the order it lists them. The query language
//! offers `check:KIND` from this list; the check stores findings under these names.

/// Every check kind, in the order findings and counts are listed.
pub const CHECK_KINDS: &[&str] = &[
    "opposite_labels",
    "chosen_equals_rejected",
    "empty_response",
    "truncated_response",
    "placeholder_count",
    "ratings_contradict",
    "blank_image",
    "tiny_image",
    "extreme_aspect",
    "bad_media",
];

/// What a check kind finds, in words (for help texts and the counts line).
pub fn check_kind_in_words(kind: &str) -> &'static str {
    match kind {
        "opposite_labels" => "the same prompt and media labelled the opposite way in another sample",
        "chosen_equals_rejected" => "chosen and rejected are the same text, or nearly",
        "empty_response" => "an empty response",
        "truncated_response" => "a response cut off (mid-sentence, or at a length limit many responses share)",
        "placeholder_count" => "media placeholders in the prompt that do not match the sample's media",
        "ratings_contradict" => "the rejected response rated higher than the chosen one",
        "blank_image" => "a blank or nearly uniform image",
        "tiny_image" => "an image under 32 px a side",
        "extreme_aspect" => "an image far wider than tall, or taller than wide",
        "bad_media" => "media that does not decode in full",
        _ => "an unknown check",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_described_and_spelled_as_a_query_value() {
        for kind in CHECK_KINDS {
            assert_ne!(check_kind_in_words(kind), "an unknown check", "{kind}");
            assert!(kind.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{kind}");
        }
    }
}
