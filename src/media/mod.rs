//! Media probing and decoding: images, video files, frame directories and audio clips.
//!
//! Two kinds of work live here:
//!
//! - **Probing** ([`probe_bytes`], [`probe_path`]) runs during dataset import for every media
//!   item, so it is cheap: images are probed from their header only, videos from the container
//!   and stream headers, audio from the container header (falling back to a packet scan when the
//!   header has no length). A probe never decodes pixels.
//! - **Decoding** ([`image`], [`video`], [`frames`], [`audio`]) produces pixels and samples for
//!   review, thumbnails, scoring and dedup. Every decoder applies limits, so a bogus header (a
//!   decompression bomb, an audio header claiming days of samples) is refused instead of allocated.
//!
//! Everything here is `Send`, holds no global state beyond `FFmpeg`'s one-time initialization
//! ([`video::init`]), and knows nothing about the UI.

pub mod audio;
pub mod ffmpeg_audio;
pub mod frames;
pub mod image;
pub mod jpeg_end;
pub mod video;

pub use self::audio::{AudioSamples, decode_audio_bytes, decode_audio_file, waveform_peaks};
pub use self::ffmpeg_audio::{decode_audio_track, decode_audio_track_bytes};
pub use self::frames::FrameDir;
pub use self::image::{ImageLimits, decode_image, decode_image_file, decode_image_in_full, thumbnail};
pub use self::video::{RgbaFrame, VideoDecoder, decode_frame_at};

use crate::model::{MediaKind, ProbeFacts};
use std::path::{Path, PathBuf};

/// Why a media item could not be probed or decoded.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The bytes are not in a format Verdict can read (unknown magic, no decoder for the codec).
    #[error("unsupported {kind} format: {detail}")]
    Unsupported {
        /// What the caller expected the media to be.
        kind: MediaKind,
        /// What was recognized (or not), in words.
        detail: String,
    },
    /// The format was recognized but the data could not be decoded.
    #[error("corrupt {kind} data: {message}")]
    Corrupt {
        /// What the caller expected the media to be.
        kind: MediaKind,
        /// The decoder's own message.
        message: String,
    },
    /// The declared pixel dimensions are over the limits (a decompression bomb, or just huge).
    #[error("{kind} too large: {width}x{height} exceeds the limit ({limit})")]
    TooLarge {
        /// What was being decoded.
        kind: MediaKind,
        /// Declared width in pixels.
        width: u32,
        /// Declared height in pixels.
        height: u32,
        /// The limit that was hit, in words.
        limit: String,
    },
    /// The declared or decoded audio length is over the limit.
    #[error("audio too long: {seconds:.1} s exceeds the limit of {max_seconds:.0} s")]
    TooLong {
        /// Length in seconds (declared, or decoded so far).
        seconds: f64,
        /// The limit in seconds.
        max_seconds: f64,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The container has no stream of the wanted kind (a video with no video track, a file with no
    /// audio track).
    #[error("no {kind} stream in the file")]
    NoStream {
        /// `Video` or `Audio`.
        kind: MediaKind,
    },
    /// A frame directory contains no frame images.
    #[error("no frame images (jpg, jpeg, png, webp, bmp, gif) in {}", path.display())]
    NoFrames {
        /// The directory.
        path: PathBuf,
    },
    /// A frame index or time outside the media.
    #[error("frame {index} is out of range (the media has {len} frames)")]
    OutOfRange {
        /// The index asked for.
        index: usize,
        /// How many frames there are.
        len: usize,
    },
}

impl MediaError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    /// A corrupt-data error with the decoder's message.
    pub(crate) fn corrupt(kind: MediaKind, message: impl std::fmt::Display) -> Self {
        Self::Corrupt { kind, message: message.to_string() }
    }

    /// An unsupported-format error.
    pub(crate) fn unsupported(kind: MediaKind, detail: impl std::fmt::Display) -> Self {
        Self::Unsupported { kind, detail: detail.to_string() }
    }
}

/// Probes media held in memory (embedded bytes of a dataset row).
///
/// `Frames` cannot be probed from bytes (a frame directory is a directory) and gives
/// [`MediaError::Unsupported`]. Video bytes are read through `FFmpeg`'s custom I/O, so nothing is
/// written to disk. Audio is probed like in [`probe_path`].
pub fn probe_bytes(kind: MediaKind, bytes: &[u8]) -> Result<ProbeFacts, MediaError> {
    match kind {
        MediaKind::Image => image::probe_image_bytes(bytes),
        MediaKind::Video => video::probe_video_bytes(bytes),
        MediaKind::Audio => match audio::probe_audio_bytes(bytes, None) {
            Err(MediaError::Unsupported { .. }) => ffmpeg_audio::probe_audio_bytes_ffmpeg(bytes),
            other => other,
        },
        MediaKind::Frames => {
            Err(MediaError::unsupported(MediaKind::Frames, "a frame directory cannot be given as bytes"))
        }
    }
}

/// Probes media on disk. For `Frames`, `path` is the directory of frame images.
///
/// Audio is probed with symphonia; a container or codec symphonia does not know (Opus, `WebM`,
/// ...) is probed with `FFmpeg` instead.
pub fn probe_path(kind: MediaKind, path: &Path) -> Result<ProbeFacts, MediaError> {
    match kind {
        MediaKind::Image => image::probe_image_file(path),
        MediaKind::Video => video::probe_video_file(path),
        MediaKind::Frames => frames::probe_frame_dir(path),
        MediaKind::Audio => match audio::probe_audio_file(path) {
            Err(MediaError::Unsupported { .. }) => ffmpeg_audio::probe_audio_file_ffmpeg(path),
            other => other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_cannot_be_probed_from_bytes() {
        let err = probe_bytes(MediaKind::Frames, b"whatever").expect_err("frames need a directory");
        assert!(matches!(err, MediaError::Unsupported { .. }), "{err}");
    }

    #[test]
    fn missing_file_is_an_io_error_naming_the_path() {
        let path = Path::new("/definitely/not/here.png");
        let err = probe_path(MediaKind::Image, path).expect_err("file is missing");
        assert!(matches!(err, MediaError::Io { .. }), "{err}");
        assert!(err.to_string().contains("/definitely/not/here.png"), "{err}");
    }

    #[test]
    fn errors_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MediaError>();
    }
}
