//! Media for a served model, as `(MIME type, bytes)`, sent as data URLs (`data:image/png;base64,...`),
//! which OpenAI-compatible servers and vLLM read in an `image_url` content part, and which a
//! `--command` process gets in its request line.
//!
//! A chat model (or a reward model behind the pooling API) reads images and audio: an image goes
//! as it is, a video or a frame folder as [`FRAMES`] frames sampled evenly over it (JPEG, the
//! longest side at most [`FRAME_SIDE`]), as video chat models are fed, an audio clip as a mono
//! 16 kHz WAV (`super::audio`) in an `input_audio` part. A command gets every file whole (videos
//! and audio too), and a frame folder's sampled frames. A medium that cannot be read or decoded leaves its candidates
//! unscored with the reason (`Converter::list`'s error), as a local scorer does.

use crate::media::ImageLimits;
use crate::model::MediaKind;
use crate::score::media::{CandidateMedia, MediaData, sampled_frames};
use base64::Engine as _;
use std::collections::HashMap;
use std::sync::Arc;

/// One medium as sent: its MIME type and its bytes.
pub type Media = (&'static str, Arc<[u8]>);

/// Frames sent of a video or a frame folder.
pub const FRAMES: usize = 8;

/// The longest side of a frame sent, in pixels (a chat model's processor scales further).
pub const FRAME_SIDE: u32 = 768;

/// The JPEG quality of a frame sent.
const FRAME_QUALITY: u8 = 90;

/// How a served scorer sends videos and frame folders, for its settings (a change is another
/// scorer: its scores are kept apart).
pub fn frames_setting() -> serde_json::Value {
    serde_json::json!({"frames": FRAMES, "format": "jpeg", "longest_side": FRAME_SIDE})
}

/// Turns a candidate's media into what is sent, each medium once (a sample's video is shown with
/// every candidate of it, and decoded once).
pub struct Converter {
    chat: bool,
    limits: ImageLimits,
    done: HashMap<String, Result<Arc<[Media]>, String>>,
}

impl Converter {
    /// For a chat or pooling model where `chat` (images, frames of videos, audio as WAV), else for
    /// a command (whole files).
    pub fn new(chat: bool) -> Self {
        Self { chat, limits: ImageLimits::default(), done: HashMap::new() }
    }

    /// What is sent with a candidate: its own media (a generated image) first, then the sample's.
    pub fn candidate(&mut self, candidate: &crate::score::Candidate<'_>) -> Result<Vec<Media>, String> {
        let mut out = self.list(candidate.own_media)?;
        out.extend(self.list(candidate.media)?);
        Ok(out)
    }

    /// What is sent of `media`, in order, or why one of them cannot be.
    pub fn list(&mut self, media: &[CandidateMedia]) -> Result<Vec<Media>, String> {
        let mut out = Vec::new();
        for (i, m) in media.iter().enumerate() {
            let chat = self.chat;
            let limits = &self.limits;
            let sent = self.done.entry(m.content.clone()).or_insert_with(|| convert(m, chat, limits));
            match sent {
                Ok(parts) => out.extend(parts.iter().cloned()),
                Err(why) => return Err(format!("media {} ({}): {why}", i + 1, kind_word(m.kind))),
            }
        }
        Ok(out)
    }
}

fn kind_word(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "an image",
        MediaKind::Video => "a video",
        MediaKind::Frames => "a frame folder",
        MediaKind::Audio => "an audio clip",
    }
}

/// One medium as sent.
fn convert(m: &CandidateMedia, chat: bool, limits: &ImageLimits) -> Result<Arc<[Media]>, String> {
    let whole = |bytes: &Arc<[u8]>| -> Result<Arc<[Media]>, String> {
        match m.mime {
            Some(mime) => Ok(Arc::from(vec![(mime, Arc::clone(bytes))])),
            None => Err("the bytes are of no type a served model takes".into()),
        }
    };
    match (&m.data, m.kind) {
        (MediaData::Bytes(bytes), MediaKind::Image) => whole(bytes),
        (MediaData::Bytes(bytes), MediaKind::Video | MediaKind::Audio) if !chat => whole(bytes),
        (MediaData::Bytes(bytes), MediaKind::Audio) => {
            let wav = super::audio::to_wav(bytes, m.mime)?;
            Ok(Arc::from(vec![("audio/wav", Arc::from(wav))]))
        }
        // A video for a chat model, or a frame folder.
        _ => {
            let frames = sampled_frames(m, FRAMES, limits)?;
            if frames.is_empty() {
                return Err("no frames".into());
            }
            frames
                .iter()
                .map(|f| Ok(("image/jpeg", Arc::from(jpeg(f)?))))
                .collect::<Result<Vec<_>, String>>()
                .map(Arc::from)
        }
    }
}

/// `frame` as a JPEG, scaled down to [`FRAME_SIDE`] on its longest side where larger.
fn jpeg(frame: &image::RgbImage) -> Result<Vec<u8>, String> {
    let (w, h) = frame.dimensions();
    let scaled;
    let frame = if w.max(h) > FRAME_SIDE {
        let f = f64::from(FRAME_SIDE) / f64::from(w.max(h));
        let (nw, nh) = (((f64::from(w) * f).round() as u32).max(1), ((f64::from(h) * f).round() as u32).max(1));
        scaled = image::imageops::resize(frame, nw, nh, image::imageops::FilterType::Triangle);
        &scaled
    } else {
        frame
    };
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, FRAME_QUALITY)
        .encode_image(frame)
        .map_err(|e| format!("a frame does not encode as JPEG: {e}"))?;
    Ok(out)
}

/// `bytes` as a data URL of type `mime`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// One medium as an `OpenAI` chat content part: an `image_url` part with a data URL, or for a
/// WAV an `input_audio` part.
fn media_part(mime: &str, bytes: &[u8]) -> serde_json::Value {
    if mime == "audio/wav" {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        serde_json::json!({"type": "input_audio", "input_audio": {"data": data, "format": "wav"}})
    } else {
        serde_json::json!({"type": "image_url", "image_url": {"url": data_url(mime, bytes)}})
    }
}

/// The `OpenAI` chat content of a user turn: the text alone when there are no media, else a text
/// part followed by one part per medium (`image_url`, `input_audio`).
pub fn user_content(text: &str, media: &[Media]) -> serde_json::Value {
    interleaved(&[(text, media)])
}

/// The `OpenAI` chat content of a user turn made of pieces of text, each followed by its media:
/// the texts joined when there are no media, else text and media parts in order (texts with no
/// media between them joined into one part).
pub fn interleaved(pieces: &[(&str, &[Media])]) -> serde_json::Value {
    if pieces.iter().all(|(_, media)| media.is_empty()) {
        return serde_json::Value::String(pieces.iter().map(|(text, _)| *text).collect());
    }
    let mut parts = Vec::new();
    let mut text = String::new();
    for (piece, media) in pieces {
        text.push_str(piece);
        if media.is_empty() {
            continue;
        }
        if !text.is_empty() {
            parts.push(serde_json::json!({"type": "text", "text": std::mem::take(&mut text)}));
        }
        for (mime, bytes) in *media {
            parts.push(media_part(mime, bytes));
        }
    }
    if !text.is_empty() {
        parts.push(serde_json::json!({"type": "text", "text": text}));
    }
    serde_json::Value::Array(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(mime: &'static str, bytes: &[u8]) -> Media {
        (mime, Arc::from(bytes))
    }

    #[test]
    fn a_png_becomes_a_base64_data_url() {
        // The 8-byte PNG signature and the start of an IHDR chunk.
        let bytes = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
        assert_eq!(data_url("image/png", &bytes), "data:image/png;base64,iVBORw0KGgoAAAAN");
        assert_eq!(data_url("image/jpeg", &[]), "data:image/jpeg;base64,");
    }

    #[test]
    fn user_content_is_text_alone_or_text_then_images_and_audio() {
        assert_eq!(user_content("hi", &[]), serde_json::json!("hi"));
        let c =
            user_content("look", &[media("image/png", b"ab"), media("image/jpeg", b"c"), media("audio/wav", b"RI")]);
        assert_eq!(
            c,
            serde_json::json!([
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,YWI="}},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,Yw=="}},
                {"type": "input_audio", "input_audio": {"data": "Ukk=", "format": "wav"}},
            ])
        );
    }

    #[test]
    fn interleaved_pieces_keep_each_texts_media_after_it_and_join_bare_texts() {
        let a = [media("image/png", b"ab")];
        let pieces: [(&str, &[Media]); 4] = [("Q ", &[]), ("A ", &a), ("B ", &[]), ("?", &[])];
        assert_eq!(
            interleaved(&pieces),
            serde_json::json!([
                {"type": "text", "text": "Q A "},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,YWI="}},
                {"type": "text", "text": "B ?"},
            ])
        );
        assert_eq!(interleaved(&[("Q ", &[]), ("?", &[])]), serde_json::json!("Q ?"));
    }

    use crate::score::served::audio::wav;

    fn medium(kind: MediaKind, content: &str, data: MediaData, mime: Option<&'static str>) -> CandidateMedia {
        CandidateMedia { kind, content: content.to_owned(), data, mime }
    }

    #[test]
    fn a_chat_model_gets_images_frames_and_wav_audio_and_a_command_whole_files_and_a_folders_frames() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut frames = Vec::new();
        for i in 0..12u8 {
            let path = dir.path().join(format!("{i:03}.png"));
            image::RgbImage::from_pixel(20, 10, image::Rgb([i * 20, 0, 0])).save(&path).expect("writes a frame");
            frames.push(path);
        }
        let video = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4"),
        )
        .expect("the fixture");
        let media = [
            medium(MediaKind::Image, "i", MediaData::Bytes(Arc::from(&b"png"[..])), Some("image/png")),
            medium(MediaKind::Video, "v", MediaData::Bytes(Arc::from(video)), Some("video/mp4")),
            medium(MediaKind::Frames, "f", MediaData::Frames(Arc::from(frames)), None),
            medium(
                MediaKind::Audio,
                "a",
                MediaData::Bytes(Arc::from(wav(&vec![0.25; 22_050], 44_100))),
                Some("audio/wav"),
            ),
        ];
        let mimes = |sent: &[Media]| sent.iter().map(|m| m.0).collect::<Vec<_>>();
        let chat = Converter::new(true).list(&media).expect("converts");
        assert_eq!(mimes(&chat), [["image/png"].as_slice(), &["image/jpeg"; 2 * FRAMES], &["audio/wav"]].concat());
        assert_eq!(&chat[0].1[..], b"png", "an image goes as it is");
        // The clip: half a second at 44.1 kHz, sent at 16 kHz.
        let audio = crate::media::decode_audio_bytes(&chat[1 + 2 * FRAMES].1, Some("wav")).expect("a WAV");
        assert_eq!((audio.sample_rate, audio.channels, audio.frames()), (16_000, 1, 8_000));
        // The folder's frames: 8 of its 12, evenly spread (the red channel counts them).
        let reds: Vec<u8> = chat[FRAMES + 1..=2 * FRAMES]
            .iter()
            .map(|m| image::load_from_memory(&m.1).expect("a JPEG").to_rgb8().get_pixel(10, 5)[0])
            .collect();
        let want: Vec<u8> = [0u8, 2, 3, 5, 6, 8, 9, 11].iter().map(|i| i * 20).collect();
        assert!(reds.iter().zip(&want).all(|(r, w)| r.abs_diff(*w) <= 4), "{reds:?} vs {want:?}");
        let command = Converter::new(false).list(&media).expect("converts");
        assert_eq!(
            mimes(&command),
            [["image/png", "video/mp4"].as_slice(), &["image/jpeg"; FRAMES], &["audio/wav"]].concat()
        );
        let broken = [medium(MediaKind::Video, "b", MediaData::Bytes(Arc::from(&b"not a video"[..])), None)];
        let why = Converter::new(true).list(&broken).expect_err("does not decode");
        assert!(why.starts_with("media 1 (a video): "), "{why}");
        let broken = [medium(MediaKind::Audio, "c", MediaData::Bytes(Arc::from(&b"RIFF"[..])), Some("audio/wav"))];
        let why = Converter::new(true).list(&broken).expect_err("does not decode");
        assert!(why.starts_with("media 1 (an audio clip): "), "{why}");
    }

    #[test]
    fn a_large_frame_is_sent_as_a_jpeg_at_most_frame_side_on_its_longest_side() {
        let frame = image::RgbImage::from_fn(1920, 1080, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let bytes = jpeg(&frame).expect("encodes");
        let back = image::load_from_memory(&bytes).expect("decodes");
        assert_eq!((back.width(), back.height()), (FRAME_SIDE, 432));
        let small = image::RgbImage::new(64, 48);
        let back = image::load_from_memory(&jpeg(&small).expect("encodes")).expect("decodes");
        assert_eq!((back.width(), back.height()), (64, 48), "a small frame keeps its size");
    }
}
