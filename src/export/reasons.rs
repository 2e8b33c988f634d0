//! Why a sample was left out, in words a curator reads. The manifest keeps the short codes
//! (`cannot_express:earlier_turns`) for scripts; the CLI's summary and the export dialog's
//! preview and report show these sentences instead, from this one place.

use super::manifest::LeftOut;
use super::options::Target;

/// A sample left out, in one line: `sample 7 (pairs.jsonl line 3): has earlier turns: …`.
pub fn left_out_line(l: &LeftOut, target: Target) -> String {
    let mut line = format!("sample {} ({} {}): {}", l.sample, l.file, l.position, in_words(&l.reason, target));
    if let Some(d) = &l.detail {
        line.push_str(": ");
        line.push_str(d);
    }
    line
}

/// The format's name as its users know it.
fn trainer(target: Target) -> &'static str {
    match target {
        Target::Trl => "TRL",
        Target::LlamaFactory => "LLaMA-Factory",
        Target::Swift => "ms-swift",
        Target::OpenRlhf => "OpenRLHF",
        Target::Original => "the source's schema",
        Target::Verdict => "Verdict's format",
    }
}

/// `reason` (a code of the manifest's `left_out` counts) in words, for an export to `target`.
/// An unknown code is shown with its underscores as spaces.
pub fn in_words(reason: &str, target: Target) -> String {
    let who = trainer(target);
    let Some(what) = reason.strip_prefix("cannot_express:") else {
        return match reason {
            "excluded" => "marked excluded".into(),
            "reference_set" => "in a reference set (an evaluation benchmark): never exported".into(),
            "flagged" => "flagged".into(),
            "no_label" => "no label: no judgment says which answer is better".into(),
            "tie" => "a tie".into(),
            "both_bad" => "both answers bad".into(),
            "unordered" => "its ranking or ratings order no two answers (one rated, or all equal)".into(),
            "label_names_missing_response" => "its label names an answer the sample does not have".into(),
            "missing_media" => "a media file is missing, cannot be read or does not decode".into(),
            other => other.replace('_', " "),
        };
    };
    match what {
        "image" => format!("has images: {who} {}", no_place(target, "images")),
        "video" => format!("has a video: {who} {}", no_place(target, "video")),
        "audio" => format!("has audio: {who} {}", no_place(target, "audio")),
        "frame_folder" => format!("video as a frame folder: {who} takes video files only"),
        "video_file_and_frame_folder" => {
            format!("a video file and a frame folder in one sample: {who} takes one kind of video per row")
        }
        "system_message" => {
            format!("has a system message: {who}'s string form has no place for it (the messages form has)")
        }
        "earlier_turns" => {
            format!("has earlier turns: {who}'s string form has no place for them (the messages form has)")
        }
        "turns_not_alternating" => {
            format!("its earlier turns do not alternate user and assistant, as {who} requires")
        }
        "response_without_text" => "an answer without text (a media answer)".into(),
        "media_response" => format!("its answers are media: {who} takes text answers"),
        "tie" => format!("a tie: {who} has no way to say it"),
        "both_bad" => format!("both answers bad: {who} has no way to say it"),
        "curator_label_in_source_schema" => "the curator's label has no place in the source's own schema".into(),
        "pair_shares_its_row_with_a_pair_left_out" => {
            "shares its source row with a pair left out (the row is written whole or not at all)".into()
        }
        other => format!("{who} cannot say it: {}", other.replace('_', " ")),
    }
}

/// Why `target` has no place for a kind of media.
fn no_place(target: Target, what: &str) -> String {
    match target {
        Target::OpenRlhf => "reads text only".into(),
        Target::Trl if what == "images" => "standard (strings) form has no place for them".into(),
        _ => format!("has no place for {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_sentences() {
        assert_eq!(
            in_words("cannot_express:earlier_turns", Target::OpenRlhf),
            "has earlier turns: OpenRLHF's string form has no place for them (the messages form has)"
        );
        assert_eq!(in_words("cannot_express:image", Target::OpenRlhf), "has images: OpenRLHF reads text only");
        assert!(in_words("cannot_express:video_file_and_frame_folder", Target::LlamaFactory).contains("LLaMA-Factory"));
        assert_eq!(in_words("some_new_code", Target::Trl), "some new code");
        assert!(!in_words("missing_media", Target::Swift).contains('_'));
    }
}
