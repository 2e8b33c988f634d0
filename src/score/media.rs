//! The media a candidate is scored against, read from the project for scorers that read media
//! ([`super::Scorer::reads_media`]): a sample's input media (its image, image list, video or frame
//! folder) and a generated-media candidate's own media (a text-to-image set's images). Embedded
//! bytes come from the project's blobs, referenced files from disk; each content is read once per
//! batch and shared (`Arc`) by every candidate that shows it. A medium that cannot be read (a
//! missing file, a URL never fetched) leaves its candidates unscored, with the reason.

use crate::media::{ImageLimits, VideoDecoder, decode_image_file};
use crate::model::{MediaKind, MediaRole, SampleId};
use crate::store::{ScoreMediaRow, Store};
use image::RgbImage;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a medium's content is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaData {
    /// The whole file: an image, a video file, an audio clip.
    Bytes(Arc<[u8]>),
    /// A frame folder: its frame files in order (read by the scorer, which samples a few).
    Frames(Arc<[PathBuf]>),
}

/// One medium a candidate is scored against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateMedia {
    /// What it is.
    pub kind: MediaKind,
    /// Its content hash (blake3, hex): the blob's, the file's, or of a frame folder its frames'
    /// names and bytes in order. Part of the candidate's content hash.
    pub content: String,
    /// Its content.
    pub data: MediaData,
    /// Its MIME type, when the bytes say (`image/png`).
    pub mime: Option<&'static str>,
}

/// What a sample shows a scorer: its input media, and each media candidate's own.
#[derive(Debug, Default)]
pub(crate) struct SampleMedia {
    /// The input media in order (empty when it has none or they could not be read).
    pub input: Vec<CandidateMedia>,
    /// Why the input media could not be read (then `input` is empty).
    pub input_error: Option<String>,
    /// Each response position's own media (generated-media candidates).
    pub own: HashMap<u32, Vec<CandidateMedia>>,
    /// Why a response position's own media could not be read.
    pub own_error: HashMap<u32, String>,
}

/// Reads the media of `samples` (input and candidates' own; retrieved media are not read).
pub(crate) fn load(store: &Store, samples: &[SampleId]) -> super::Result<HashMap<SampleId, SampleMedia>> {
    let rows = store.score_media(samples)?;
    let mut cache: HashMap<String, CandidateMedia> = HashMap::new();
    let mut out: HashMap<SampleId, SampleMedia> = HashMap::new();
    for row in &rows {
        let entry = out.entry(row.sample).or_default();
        let read = read_row(store, row, &mut cache);
        match (row.role, row.response_pos) {
            (MediaRole::Input, _) => match read {
                Ok(m) if entry.input_error.is_none() => entry.input.push(m),
                Ok(_) => {}
                Err(e) => {
                    entry.input.clear();
                    entry.input_error.get_or_insert(e);
                }
            },
            (MediaRole::Candidate, Some(pos)) => match read {
                Ok(m) if !entry.own_error.contains_key(&pos) => entry.own.entry(pos).or_default().push(m),
                Ok(_) => {}
                Err(e) => {
                    entry.own.remove(&pos);
                    entry.own_error.entry(pos).or_insert(e);
                }
            },
            _ => {}
        }
    }
    Ok(out)
}

/// One media row's content, from `cache` when another row showed the same blob or file.
fn read_row(
    store: &Store,
    row: &ScoreMediaRow,
    cache: &mut HashMap<String, CandidateMedia>,
) -> Result<CandidateMedia, String> {
    let what = || format!("media {} of the sample ({})", row.position + 1, row.reference.as_deref().unwrap_or("?"));
    let key = match (&row.blob_hash, &row.resolved_path) {
        (Some(hash), _) => format!("blob:{hash}"),
        (None, Some(path)) => format!("file:{path}"),
        (None, None) => return Err(format!("{}: not in the project and not a file here (never fetched)", what())),
    };
    if let Some(m) = cache.get(&key) {
        return Ok(m.clone());
    }
    let medium = match (&row.blob_hash, &row.resolved_path) {
        (Some(hash), _) => {
            let bytes: Arc<[u8]> = store.blob(hash).map_err(|e| format!("{}: {e}", what()))?.into();
            CandidateMedia { kind: row.kind, content: hash.clone(), mime: sniff(&bytes), data: MediaData::Bytes(bytes) }
        }
        (None, Some(path)) if row.kind == MediaKind::Frames => {
            let frames = crate::media::frames::list_frames(std::path::Path::new(path))
                .map_err(|e| format!("{}: {e}", what()))?;
            let mut h = blake3::Hasher::new();
            for f in &frames {
                let bytes = std::fs::read(f).map_err(|e| format!("{}: {}: {e}", what(), f.display()))?;
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                h.update(&(name.len() as u64).to_le_bytes());
                h.update(name.as_bytes());
                h.update(&(bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            let content = h.finalize().to_hex().to_string();
            CandidateMedia { kind: row.kind, content, data: MediaData::Frames(frames.into()), mime: None }
        }
        (None, Some(path)) => {
            let bytes: Arc<[u8]> = std::fs::read(path).map_err(|e| format!("{}: {path}: {e}", what()))?.into();
            let content = blake3::hash(&bytes).to_hex().to_string();
            CandidateMedia { kind: row.kind, content, mime: sniff(&bytes), data: MediaData::Bytes(bytes) }
        }
        (None, None) => unreachable!("checked above"),
    };
    cache.insert(key, medium.clone());
    Ok(medium)
}

/// The MIME type the first bytes name, for the formats media scorers and endpoints take.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if let Ok(format) = image::guess_format(bytes) {
        return Some(format.to_mime_type());
    }
    match bytes {
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some("video/mp4"),
        [0x1a, 0x45, 0xdf, 0xa3, ..] => Some("video/webm"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'A', b'V', b'I', b' ', ..] => Some("video/x-msvideo"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some("audio/wav"),
        [b'f', b'L', b'a', b'C', ..] => Some("audio/flac"),
        [b'O', b'g', b'g', b'S', ..] => Some("audio/ogg"),
        [b'I', b'D', b'3', ..] | [0xff, 0xfb | 0xf3 | 0xf2, ..] => Some("audio/mpeg"),
        _ => None,
    }
}

/// `n` frames of a video (at the middles of `n` equal stretches of it) or of a frame folder
/// (evenly spread; all when it has fewer), decoded within `limits`; empty for other media.
pub fn sampled_frames(medium: &CandidateMedia, n: usize, limits: &ImageLimits) -> Result<Vec<RgbImage>, String> {
    match (&medium.data, medium.kind) {
        (MediaData::Bytes(bytes), MediaKind::Video) => video_frames(bytes, n),
        (MediaData::Frames(paths), _) => sample_evenly(paths, n)
            .into_iter()
            .map(|p| {
                let img = decode_image_file(p, limits).map_err(|e| e.to_string())?;
                Ok(image::DynamicImage::ImageRgba8(img).to_rgb8())
            })
            .collect(),
        _ => Ok(Vec::new()),
    }
}

/// `n` frames of a video file, at the middles of equal stretches of it.
fn video_frames(bytes: &[u8], n: usize) -> Result<Vec<RgbImage>, String> {
    let mut dec = VideoDecoder::from_bytes(bytes).map_err(|e| e.to_string())?;
    let duration = dec.duration_s().filter(|d| d.is_finite() && *d > 0.0).unwrap_or(0.0);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = duration * (i as f64 + 0.5) / n as f64;
        let f = dec.frame_at(t).map_err(|e| e.to_string())?;
        let rgba = image::RgbaImage::from_raw(f.width, f.height, f.pixels)
            .ok_or_else(|| "a decoded frame has the wrong size".to_owned())?;
        out.push(image::DynamicImage::ImageRgba8(rgba).to_rgb8());
    }
    Ok(out)
}

/// At most `n` of `items`, evenly spread (each the middle of its stretch); all when fewer.
fn sample_evenly<T>(items: &[T], n: usize) -> Vec<&T> {
    if items.len() <= n {
        return items.iter().collect();
    }
    (0..n).map(|i| &items[(2 * i + 1) * items.len() / (2 * n)]).collect()
}

/// The content hash a media-reading scorer keeps candidate `position`'s score under (its text with
/// the sample's media, or a generated-media candidate with its own), for a reader that has the
/// sample but not the media in hand (the app's candidate header); `None` where the media cannot be
/// read.
pub fn media_content_hash(store: &Store, sample: SampleId, prompt: &str, position: u32, text: &str) -> Option<String> {
    let media = load(store, &[sample]).ok()?;
    let m = media.get(&sample)?;
    let c = match m.own.get(&position).filter(|o| !o.is_empty()) {
        Some(own) => super::Candidate { own_media: own, ..super::Candidate::new(prompt, text) },
        None if !m.input.is_empty() => super::Candidate { media: &m.input, ..super::Candidate::new(prompt, text) },
        None => return None,
    };
    Some(c.content_hash())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0"), Some("video/mp4"));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn frames_are_sampled_evenly() {
        let items: Vec<usize> = (0..16).collect();
        assert_eq!(sample_evenly(&items, 4), [&2, &6, &10, &14]);
        assert_eq!(sample_evenly(&items[..3], 8).len(), 3);
    }
}
