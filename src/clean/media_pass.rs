//! The media pass: each image, video, frame folder and audio clip fingerprinted once per content
//! (the blob's hash, or the blake3 of a referenced file, cached by path, size and mtime; of a
//! frame folder, of its frames in order). What is already fingerprinted is skipped, so a dataset
//! added later costs only its own media, and a pass killed at any moment resumes where its last
//! batch was committed. Decoding runs on worker threads (one per core); the store is written from
//! the calling thread in batches.

use super::pool::{MediaWork, Pool, Prepared, Source, file_stamp, known_content, media_work};
use super::sequence::{FRAME_STEP_S, MAX_FRAMES, audio_fingerprint, frame_hash};
use super::{CleanError, phash};
use crate::jobs::Progress;
use crate::media::{ImageLimits, VideoDecoder, decode_audio_bytes, decode_audio_file, frames::list_frames};
use crate::model::MediaKind;
use crate::store::{MediaItem, NewFingerprint, Store};
use std::path::Path;

/// Media items written per transaction (what a kill can cost).
const BATCH: usize = 64;

/// What the media pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MediaPassReport {
    /// Media items considered.
    pub items: u64,
    /// Contents fingerprinted now.
    pub fingerprinted: u64,
    /// Contents fingerprinted by an earlier pass.
    pub already: u64,
    /// Contents that could not be decoded (kept with the reason).
    pub failed: u64,
}

/// The fingerprint algorithm of a media kind.
pub fn algo_of(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "phash",
        MediaKind::Video | MediaKind::Frames => "frames",
        MediaKind::Audio => "chromaprint",
    }
}

struct Done {
    media: i64,
    algo: &'static str,
    content: String,
    file: Option<(String, u64, i64)>,
    /// Made now (`None`: fingerprinted by an earlier pass).
    print: Option<Result<Vec<u8>, String>>,
    /// The media row's content hash needs writing.
    row: bool,
}

/// Fingerprints the media of `kinds` that have none yet.
pub fn fingerprint_media(
    store: &mut Store,
    kinds: &[MediaKind],
    progress: &mut Progress,
) -> Result<MediaPassReport, CleanError> {
    let items = store.media_to_fingerprint(kinds)?;
    let report = MediaPassReport { items: items.len() as u64, ..MediaPassReport::default() };
    progress.phase("fingerprinting media", "items", Some(items.len() as u64), 0);
    let mut ctx = (store, report);
    Pool { name: "fingerprint", batch: BATCH }.run(
        &items,
        &mut ctx,
        progress,
        |(store, _), item| prepare(store, item),
        fingerprint,
        |(store, report), batch| write(store, batch, report),
    )?;
    Ok(ctx.1)
}

fn prepare(store: &Store, item: &MediaItem) -> Result<Prepared<MediaWork, Done>, CleanError> {
    let algo = algo_of(item.kind);
    let known = known_content(store, item)?;
    if let Some(content) = &known
        && store.has_fingerprint(content, algo)?
    {
        // Already fingerprinted: only the media row's content hash may be missing.
        let row = item.content.as_deref() != Some(content.as_str());
        return Ok(Prepared::Done(Done {
            media: item.id,
            algo: algo_of(item.kind),
            content: content.clone(),
            file: None,
            print: None,
            row,
        }));
    }
    Ok(Prepared::Work(media_work(store, item, known)?))
}

/// On a worker: the content hash and the fingerprint.
fn fingerprint(work: &MediaWork) -> Done {
    let limits = ImageLimits::default();
    let stamp = |p: &Path| file_stamp(p).map(|(size, mtime)| (p.to_string_lossy().into_owned(), size, mtime));
    let (content, file, print) = match (&work.source, work.kind) {
        (Source::Bytes(bytes), kind) => {
            let content = work.known.clone().unwrap_or_else(|| blake3::hash(bytes).to_hex().to_string());
            (content, None, print_bytes(bytes, kind, &limits))
        }
        (Source::File(path), MediaKind::Frames) => {
            let p = Path::new(path);
            match frames_print(p, &limits) {
                Ok((content, print)) => (content, stamp(p), Ok(print)),
                Err(e) => (work.known.clone().unwrap_or_else(|| format!("unreadable:{path}")), stamp(p), Err(e)),
            }
        }
        (Source::File(path), kind) => {
            let p = Path::new(path);
            match std::fs::read(p) {
                Err(e) => (format!("unreadable:{path}"), None, Err(format!("cannot read {path}: {e}"))),
                Ok(bytes) => {
                    let content = blake3::hash(&bytes).to_hex().to_string();
                    let print = match kind {
                        // The video decoder reads the file itself (it seeks); the bytes were only hashed.
                        MediaKind::Video => video_print(VideoDecoder::open(p)),
                        MediaKind::Audio => {
                            decode_audio_file(p).map_err(|e| e.to_string()).and_then(|a| audio_bytes(&a))
                        }
                        _ => print_bytes(&bytes, kind, &limits),
                    };
                    (content, stamp(p), print)
                }
            }
        }
    };
    Done { media: work.media, algo: algo_of(work.kind), content, file, print: Some(print), row: true }
}

fn print_bytes(bytes: &[u8], kind: MediaKind, limits: &ImageLimits) -> Result<Vec<u8>, String> {
    match kind {
        MediaKind::Image => {
            phash::phash_bytes(bytes, limits).map(|h| h.to_be_bytes().to_vec()).map_err(|e| e.to_string())
        }
        MediaKind::Video | MediaKind::Frames => video_print(VideoDecoder::from_bytes(bytes)),
        MediaKind::Audio => decode_audio_bytes(bytes, None).map_err(|e| e.to_string()).and_then(|a| audio_bytes(&a)),
    }
}

fn video_print(decoder: Result<VideoDecoder, crate::media::MediaError>) -> Result<Vec<u8>, String> {
    let frames = decoder.and_then(|mut d| d.sample_every(FRAME_STEP_S, MAX_FRAMES)).map_err(|e| e.to_string())?;
    Ok(frames.iter().flat_map(|f| frame_hash(f).to_be_bytes()).collect())
}

fn audio_bytes(audio: &crate::media::AudioSamples) -> Result<Vec<u8>, String> {
    Ok(audio_fingerprint(audio)?.iter().flat_map(|v| v.to_le_bytes()).collect())
}

/// A frame folder's content hash (its frames' bytes in order) and the hashes of up to
/// [`MAX_FRAMES`] of its frames, spread evenly.
fn frames_print(dir: &Path, limits: &ImageLimits) -> Result<(String, Vec<u8>), String> {
    let paths = list_frames(dir).map_err(|e| e.to_string())?;
    if paths.is_empty() {
        return Err(format!("{}: no frames", dir.display()));
    }
    let mut content = blake3::Hasher::new();
    let step = paths.len().div_ceil(MAX_FRAMES).max(1);
    let mut print = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let bytes = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        content.update(&bytes);
        if i % step == 0 {
            let h = phash::phash_bytes(&bytes, limits).map_err(|e| format!("{}: {e}", p.display()))?;
            print.extend_from_slice(&h.to_be_bytes());
        }
    }
    Ok((content.finalize().to_hex().to_string(), print))
}

fn write(store: &mut Store, batch: &mut Vec<Done>, report: &mut MediaPassReport) -> Result<(), CleanError> {
    let mut contents = Vec::with_capacity(batch.len());
    let mut files = Vec::new();
    let mut prints = Vec::new();
    for d in batch.drain(..) {
        match &d.print {
            Some(Ok(_)) => report.fingerprinted += 1,
            Some(Err(_)) => report.failed += 1,
            None => report.already += 1,
        }
        // A file that could not be read has no content hash: nothing is recorded for it, so the
        // next pass tries again.
        if d.content.starts_with("unreadable:") {
            continue;
        }
        if !d.row && d.print.is_none() {
            continue;
        }
        if let Some((path, size, mtime)) = d.file {
            files.push((path, size, mtime, d.content.clone()));
        }
        if let Some(print) = d.print {
            let (value, error) = match print {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(e)),
            };
            prints.push(NewFingerprint { content: d.content.clone(), algo: d.algo, value, error });
        }
        contents.push((d.media, d.content));
    }
    if !contents.is_empty() {
        store.put_fingerprints(&contents, &files, &prints)?;
    }
    Ok(())
}
