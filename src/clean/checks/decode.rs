//! Every media item decoded in full, on worker threads (one per core, as the media pass runs):
//! images to their last pixel (a JPEG cut short is caught by its missing end marker, since the
//! decoder pads it), videos to their last frame (counted, not converted), audio to its last
//! sample, frame folders frame by frame. A decompression bomb is refused from its header by
//! [`ImageLimits`], never allocated.
//!
//! The verdict is kept per content hash (algorithm [`ALGO`] in `fingerprints`): what decoded (an
//! image's size and the entropy of its histogram) or why nothing did, so that a later run decodes
//! only new contents. Content hashes are the media pass's: an embedded item's blob hash, a file's
//! blake3 (cached by path, size and mtime), a frame folder's frames' bytes in order.

use super::super::CleanError;
use super::super::pool::{MediaWork, Pool, Prepared, Source, file_stamp, known_content, media_work};
use crate::jobs::Progress;
use crate::media::frames::list_frames;
use crate::media::{
    ImageLimits, MediaError, VideoDecoder, decode_audio_bytes, decode_audio_file, decode_audio_track_bytes,
    decode_image_in_full,
};
use crate::model::MediaKind;
use crate::store::{MediaItem, NewFingerprint, Store};
use std::collections::HashMap;
use std::path::Path;

/// The `fingerprints.algo` of a cached full decode (its number moves when what it records or
/// refuses changes, so older verdicts are not reused).
pub const ALGO: &str = "decode1";

/// Media items written per transaction.
const BATCH: usize = 256;

/// What decoded in full.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Decoded {
    /// A still image: its size and the Shannon entropy (bits) of its channels' histograms.
    Image {
        /// Pixels across.
        width: u32,
        /// Pixels down.
        height: u32,
        /// As Pillow's `Image.entropy()` computes it, over the image's own channels.
        entropy: f64,
    },
    /// A video file: the frames that decoded.
    Video {
        /// Frames decoded.
        frames: u64,
    },
    /// A frame folder: every frame decoded.
    Frames {
        /// Frames in the folder.
        frames: u64,
    },
    /// An audio clip: its decoded length.
    Audio {
        /// Seconds of samples.
        seconds: f64,
    },
}

/// What the decode pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeReport {
    /// Media items with bytes to read.
    pub items: u64,
    /// Items decoded now.
    pub decoded: u64,
    /// Items whose content an earlier run decoded.
    pub already: u64,
    /// Items that do not decode in full (now or before; `run` counts those its rules find cut
    /// short too).
    pub failed: u64,
}

/// Each media item's verdict (by `media.id`), and the counts.
pub struct Verdicts {
    /// What decoded, or why nothing did.
    pub by_media: HashMap<i64, Result<Decoded, String>>,
    /// The counts.
    pub report: DecodeReport,
}

struct Done {
    media: i64,
    /// `None` when the bytes could not be read (nothing is cached: the next run tries again).
    content: Option<String>,
    file: Option<(String, u64, i64)>,
    outcome: Result<Decoded, String>,
    cached: bool,
}

/// Decodes every media item with bytes to read, or takes its content's earlier verdict.
pub fn decode_all(store: &mut Store, progress: &mut Progress) -> Result<Verdicts, CleanError> {
    let items = store.media_to_fingerprint(MediaKind::ALL)?;
    let mut verdicts = Verdicts {
        by_media: HashMap::with_capacity(items.len()),
        report: DecodeReport { items: items.len() as u64, ..DecodeReport::default() },
    };
    progress.phase("decoding media in full", "items", Some(items.len() as u64), 0);
    let mut ctx = (store, &mut verdicts);
    Pool { name: "check-decode", batch: BATCH }.run(
        &items,
        &mut ctx,
        progress,
        |(store, _), item| prepare(store, item),
        decode,
        |(store, verdicts), batch| write(store, batch, verdicts),
    )?;
    Ok(verdicts)
}

fn prepare(store: &Store, item: &MediaItem) -> Result<Prepared<MediaWork, Done>, CleanError> {
    let known = known_content(store, item)?;
    if let Some(content) = &known
        && let Some((value, error)) = store.fingerprint_of(content, ALGO)?
    {
        let outcome = match (value, error) {
            (_, Some(e)) => Err(e),
            (Some(v), None) => serde_json::from_slice(&v).map_err(|e| format!("unreadable cached verdict: {e}")),
            (None, None) => Err("no verdict".to_owned()),
        };
        // A verdict this build cannot read is decoded again.
        if outcome.as_ref().is_err_and(|e| e.starts_with("unreadable cached verdict")) {
            return work(store, item, known);
        }
        return Ok(Prepared::Done(Done {
            media: item.id,
            content: Some(content.clone()),
            file: None,
            outcome,
            cached: true,
        }));
    }
    work(store, item, known)
}

fn work(store: &Store, item: &MediaItem, known: Option<String>) -> Result<Prepared<MediaWork, Done>, CleanError> {
    Ok(Prepared::Work(media_work(store, item, known)?))
}

/// On a worker: the content hash and the full decode.
fn decode(work: &MediaWork) -> Done {
    let limits = ImageLimits::default();
    let unreadable =
        |why: String| Done { media: work.media, content: None, file: None, outcome: Err(why), cached: false };
    let (content, file, outcome) = match (&work.source, work.kind) {
        (Source::Bytes(bytes), kind) => {
            let content = work.known.clone().unwrap_or_else(|| blake3::hash(bytes).to_hex().to_string());
            (content, None, decode_bytes(bytes, kind, &limits))
        }
        (Source::File(path), MediaKind::Frames) => {
            let p = Path::new(path);
            match decode_frames(p, &limits) {
                Ok((content, outcome)) => (content, file_stamp(p).map(|(s, m)| (path.clone(), s, m)), outcome),
                Err(why) => return unreadable(why),
            }
        }
        (Source::File(path), kind) => {
            let p = Path::new(path);
            let stamp = file_stamp(p);
            let outcome = match kind {
                // Videos and audio are read by their decoders (which seek), and hashed as a stream.
                MediaKind::Video => VideoDecoder::open(p)
                    .and_then(|mut d| d.count_frames())
                    .map_or_else(|e| Err(e.to_string()), |frames| Ok(Decoded::Video { frames })),
                MediaKind::Audio => {
                    decode_audio_file(p).map(|a| Decoded::Audio { seconds: a.duration_s() }).map_err(|e| e.to_string())
                }
                _ => match std::fs::read(p) {
                    Ok(bytes) => {
                        let content = blake3::hash(&bytes).to_hex().to_string();
                        let outcome = decode_bytes(&bytes, kind, &limits);
                        return Done {
                            media: work.media,
                            content: Some(content),
                            file: stamp.map(|(s, m)| (path.clone(), s, m)),
                            outcome,
                            cached: false,
                        };
                    }
                    Err(e) => return unreadable(format!("cannot read {path}: {e}")),
                },
            };
            let content = match hash_file(p) {
                Ok(h) => h,
                Err(e) => return unreadable(format!("cannot read {path}: {e}")),
            };
            (content, stamp.map(|(s, m)| (path.clone(), s, m)), outcome)
        }
    };
    Done { media: work.media, content: Some(content), file, outcome, cached: false }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut h = blake3::Hasher::new();
    h.update_reader(std::fs::File::open(path)?)?;
    Ok(h.finalize().to_hex().to_string())
}

fn decode_bytes(bytes: &[u8], kind: MediaKind, limits: &ImageLimits) -> Result<Decoded, String> {
    match kind {
        MediaKind::Image => decode_image_in_full(bytes, limits).map(|image| image_facts(&image)),
        MediaKind::Video | MediaKind::Frames => {
            VideoDecoder::from_bytes(bytes).and_then(|mut d| d.count_frames()).map(|frames| Decoded::Video { frames })
        }
        MediaKind::Audio => match decode_audio_bytes(bytes, None) {
            Err(MediaError::Unsupported { .. }) => decode_audio_track_bytes(bytes),
            other => other,
        }
        .map(|a| Decoded::Audio { seconds: a.duration_s() }),
    }
    .map_err(|e| e.to_string())
}

/// A frame folder's content hash (its frames' bytes in order, as the media pass hashes it) and
/// whether every frame decodes in full; `Err` when a frame cannot be read at all.
fn decode_frames(dir: &Path, limits: &ImageLimits) -> Result<(String, Result<Decoded, String>), String> {
    let paths = list_frames(dir).map_err(|e| e.to_string())?;
    let mut content = blake3::Hasher::new();
    let mut outcome = if paths.is_empty() {
        Err(format!("{}: no frames in the folder", dir.display()))
    } else {
        Ok(Decoded::Frames { frames: paths.len() as u64 })
    };
    for p in &paths {
        let bytes = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        content.update(&bytes);
        if outcome.is_ok()
            && let Err(e) = decode_image_in_full(&bytes, limits)
        {
            let name = p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            outcome = Err(format!("frame {name}: {e}"));
        }
    }
    Ok((content.finalize().to_hex().to_string(), outcome))
}

/// An image's size and the entropy of its histogram.
pub fn image_facts(image: &::image::DynamicImage) -> Decoded {
    Decoded::Image { width: image.width(), height: image.height(), entropy: entropy(image) }
}

/// The Shannon entropy in bits of an image's histogram over its own channels, as Pillow's
/// `Image.entropy()` computes it (and cleanvision's `low_information` reads it): one 256-bin
/// histogram per channel, concatenated, each bin's share of all of them. A grey image has one
/// channel, RGB three, RGBA four; images of 16 bits a channel are read at 8.
pub fn entropy(image: &::image::DynamicImage) -> f64 {
    use ::image::DynamicImage as D;
    let converted;
    let (bytes, bands): (&[u8], usize) = match image {
        D::ImageLuma8(i) => (i.as_raw(), 1),
        D::ImageLumaA8(i) => (i.as_raw(), 2),
        D::ImageRgb8(i) => (i.as_raw(), 3),
        D::ImageRgba8(i) => (i.as_raw(), 4),
        other => {
            let color = other.color();
            converted = match (color.has_color(), color.has_alpha()) {
                (false, false) => D::ImageLuma8(other.to_luma8()),
                (false, true) => D::ImageLumaA8(other.to_luma_alpha8()),
                (true, false) => D::ImageRgb8(other.to_rgb8()),
                (true, true) => D::ImageRgba8(other.to_rgba8()),
            };
            return entropy(&converted);
        }
    };
    let mut histogram = vec![0u64; 256 * bands];
    for pixel in bytes.chunks_exact(bands) {
        for (band, &value) in pixel.iter().enumerate() {
            histogram[band * 256 + usize::from(value)] += 1;
        }
    }
    let total = bytes.len() as f64;
    if total == 0.0 {
        return 0.0;
    }
    histogram.iter().filter(|&&n| n > 0).map(|&n| n as f64 / total).map(|p| -p * p.log2()).sum()
}

fn write(store: &mut Store, batch: &mut Vec<Done>, verdicts: &mut Verdicts) -> Result<(), CleanError> {
    let mut contents = Vec::with_capacity(batch.len());
    let mut files = Vec::new();
    let mut prints = Vec::new();
    for d in batch.drain(..) {
        match (&d.outcome, d.cached) {
            (Err(_), _) => verdicts.report.failed += 1,
            (Ok(_), true) => verdicts.report.already += 1,
            (Ok(_), false) => verdicts.report.decoded += 1,
        }
        if let Some(content) = &d.content {
            contents.push((d.media, content.clone()));
            if let Some((path, size, mtime)) = d.file {
                files.push((path, size, mtime, content.clone()));
            }
            if !d.cached {
                let (value, error) = match &d.outcome {
                    Ok(decoded) => (serde_json::to_vec(decoded).ok(), None),
                    Err(e) => (None, Some(e.clone())),
                };
                prints.push(NewFingerprint { content: content.clone(), algo: ALGO, value, error });
            }
        }
        verdicts.by_media.insert(d.media, d.outcome);
    }
    if !contents.is_empty() {
        store.put_fingerprints(&contents, &files, &prints)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::image::{DynamicImage, GrayImage, Luma, Rgb, RgbImage};

    #[test]
    fn entropy_counts_every_channel_as_pillow_does() {
        // One grey level: a single full bin.
        assert!(entropy(&DynamicImage::ImageLuma8(GrayImage::from_pixel(8, 8, Luma([7])))).abs() < 1e-12);
        // Half black, half white: one bit.
        let half = GrayImage::from_fn(8, 8, |x, _| Luma([if x < 4 { 0 } else { 255 }]));
        assert!((entropy(&DynamicImage::ImageLuma8(half)) - 1.0).abs() < 1e-12);
        // One RGB colour: three bins of a third each, log2(3) bits (Pillow gives 1.58496...).
        let flat = RgbImage::from_pixel(5, 5, Rgb([10, 200, 30]));
        assert!((entropy(&DynamicImage::ImageRgb8(flat)) - 3f64.log2()).abs() < 1e-12);
        // 256 grey levels equally often: 8 bits.
        let ramp = GrayImage::from_fn(256, 4, |x, _| Luma([x as u8]));
        assert!((entropy(&DynamicImage::ImageLuma8(ramp)) - 8.0).abs() < 1e-9);
    }

    #[test]
    fn a_decoded_verdict_reads_back_from_its_stored_json() {
        let d = Decoded::Image { width: 3, height: 4, entropy: 1.5 };
        let json = serde_json::to_vec(&d).expect("json");
        assert_eq!(serde_json::from_slice::<Decoded>(&json).expect("reads"), d);
    }
}
