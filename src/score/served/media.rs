//! Media for a served model: a candidate's images (or other media) as `(MIME type, bytes)`, sent
//! as data URLs (`data:image/png;base64,...`), which OpenAI-compatible servers and vLLM read in an
//! `image_url` content part, and which a `--command` process gets in its request line.

use crate::score::Candidate;
use base64::Engine as _;

/// One medium of a candidate: its MIME type and its bytes.
pub type Media<'a> = (&'a str, &'a [u8]);

/// What a served scorer sends with a candidate: its own media (a generated image) first, then the
/// sample's; only images where `images_only` (a chat template takes images as `image_url` parts).
pub fn candidate_media<'a>(candidate: &Candidate<'a>, images_only: bool) -> Vec<Media<'a>> {
    let mut out = crate::score::media::attachments(candidate.own_media, images_only);
    out.extend(crate::score::media::attachments(candidate.media, images_only));
    out
}

/// `bytes` as a data URL of type `mime`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The `OpenAI` chat content of a user turn: the text alone when there are no media, else a text
/// part followed by one `image_url` part per medium.
pub fn user_content(text: &str, media: &[Media<'_>]) -> serde_json::Value {
    if media.is_empty() {
        return serde_json::Value::String(text.to_owned());
    }
    let mut parts = vec![serde_json::json!({"type": "text", "text": text})];
    for (mime, bytes) in media {
        parts.push(serde_json::json!({"type": "image_url", "image_url": {"url": data_url(mime, bytes)}}));
    }
    serde_json::Value::Array(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_becomes_a_base64_data_url() {
        // The 8-byte PNG signature and the start of an IHDR chunk.
        let bytes = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
        assert_eq!(data_url("image/png", &bytes), "data:image/png;base64,iVBORw0KGgoAAAAN");
        assert_eq!(data_url("image/jpeg", &[]), "data:image/jpeg;base64,");
    }

    #[test]
    fn user_content_is_text_alone_or_text_then_images() {
        assert_eq!(user_content("hi", &[]), serde_json::json!("hi"));
        let c = user_content("look", &[("image/png", b"ab"), ("image/jpeg", b"c")]);
        assert_eq!(
            c,
            serde_json::json!([
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,YWI="}},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,Yw=="}},
            ])
        );
    }
}
