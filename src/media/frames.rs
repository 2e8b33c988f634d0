//! Frame directories: a folder of still images that together form a video (the layout of
//! several video preference datasets, which ship sampled frames instead of the clip).
//!
//! Frames are the image files directly in the directory (`jpg`, `jpeg`, `png`, `webp`, `bmp`,
//! `gif`, any case), in *natural* name order, so `frame_2` comes before `frame_10`. The frame rate
//! is not stored anywhere in such a directory: the caller passes it when a dataset documents it,
//! and [`DEFAULT_FPS`] (1 frame per second) is assumed otherwise, so time `t` simply means frame
//! `floor(t)`.

use super::MediaError;
use super::image::{ImageLimits, decode_image_file, probe_image_file};
use super::video::RgbaFrame;
use crate::model::ProbeFacts;
use std::cmp::Ordering;
use std::path::{Path, PathBuf};

/// File extensions (lowercase) counted as frames.
pub const FRAME_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "bmp", "gif"];

/// The frame rate assumed when the dataset does not give one.
pub const DEFAULT_FPS: f64 = 1.0;

/// Compares names the way people number files: runs of ASCII digits compare as numbers
/// (`f2 < f10`, leading zeros ignored), everything else by character. Names that differ only in
/// leading zeros fall back to plain string order, so the order is total.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, &str) {
        let digits = s.starts_with(|c: char| c.is_ascii_digit());
        let end = s.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(s.len());
        s.split_at(end)
    }
    let (mut x, mut y) = (a, b);
    while !x.is_empty() && !y.is_empty() {
        let ((cx, rx), (cy, ry)) = (split(x), split(y));
        let numeric = |c: &str| c.starts_with(|ch: char| ch.is_ascii_digit());
        let ord = if numeric(cx) && numeric(cy) {
            let (tx, ty) = (cx.trim_start_matches('0'), cy.trim_start_matches('0'));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty))
        } else {
            cx.cmp(cy)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        (x, y) = (rx, ry);
    }
    x.len().cmp(&y.len()).then_with(|| a.cmp(b))
}

/// The frame images directly inside `dir`, in natural name order. Subdirectories and other
/// files are ignored.
pub fn list_frames(dir: &Path) -> Result<Vec<PathBuf>, MediaError> {
    let entries = std::fs::read_dir(dir).map_err(|e| MediaError::io(dir, e))?;
    let mut frames = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| MediaError::io(dir, e))?.path();
        let is_frame = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| FRAME_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
        if is_frame && path.is_file() {
            frames.push(path);
        }
    }
    frames.sort_by(|a, b| {
        let name = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());
        natural_cmp(&name(a).unwrap_or_default(), &name(b).unwrap_or_default())
    });
    if frames.is_empty() {
        return Err(MediaError::NoFrames { path: dir.to_path_buf() });
    }
    Ok(frames)
}

/// Probes a frame directory: frame count, and size and format of the first frame (header
/// only). No fps or duration: a directory does not say its rate.
pub(crate) fn probe_frame_dir(dir: &Path) -> Result<ProbeFacts, MediaError> {
    let frames = list_frames(dir)?;
    let first = probe_image_file(&frames[0])?;
    Ok(ProbeFacts { frame_count: Some(frames.len() as u64), ..first })
}

/// A frame directory read as a video.
#[derive(Debug, Clone)]
pub struct FrameDir {
    frames: Vec<PathBuf>,
    fps: f64,
    limits: ImageLimits,
}

impl FrameDir {
    /// Lists the frames of `dir`. `fps` is the dataset's frame rate; `None` (or a value that is
    /// not a positive finite number) means [`DEFAULT_FPS`]. A directory with no frames is
    /// [`MediaError::NoFrames`].
    pub fn open(dir: &Path, fps: Option<f64>) -> Result<Self, MediaError> {
        let fps = fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(DEFAULT_FPS);
        Ok(Self { frames: list_frames(dir)?, fps, limits: ImageLimits::default() })
    }

    /// Replaces the decode limits (default: [`ImageLimits::default`]).
    #[must_use]
    pub fn with_limits(mut self, limits: ImageLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Number of frames (never 0).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Always `false`: [`Self::open`] refuses empty directories.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frame rate in use.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// `len / fps` seconds.
    pub fn duration_s(&self) -> f64 {
        self.frames.len() as f64 / self.fps
    }

    /// The frame files, in playback order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.frames
    }

    /// The index of the frame shown at `t_seconds` (clamped to the first and last frame).
    pub fn index_at(&self, t_seconds: f64) -> usize {
        if !t_seconds.is_finite() || t_seconds <= 0.0 {
            return 0;
        }
        ((t_seconds * self.fps).floor() as usize).min(self.frames.len().saturating_sub(1))
    }

    /// Decodes frame `index`; its `pts_s` is `index / fps`.
    pub fn frame(&self, index: usize) -> Result<RgbaFrame, MediaError> {
        let path = self.frames.get(index).ok_or(MediaError::OutOfRange { index, len: self.frames.len() })?;
        let image = decode_image_file(path, &self.limits)?;
        Ok(RgbaFrame {
            width: image.width(),
            height: image.height(),
            pixels: image.into_raw(),
            pts_s: index as f64 / self.fps,
        })
    }

    /// Decodes the frame shown at `t_seconds` (see [`Self::index_at`]).
    pub fn frame_at(&self, t_seconds: f64) -> Result<RgbaFrame, MediaError> {
        self.frame(self.index_at(t_seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_compares_numbers_as_numbers() {
        let mut names = vec!["f10.png", "f2.png", "f1.png", "f02.png", "a.png", "f1b.png"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["a.png", "f1.png", "f1b.png", "f02.png", "f2.png", "f10.png"]);
        assert_eq!(natural_cmp("frame_9", "frame_10"), Ordering::Less);
        assert_eq!(natural_cmp("x", "x"), Ordering::Equal);
        assert_eq!(natural_cmp("x", "x1"), Ordering::Less);
    }

    #[test]
    fn index_at_follows_fps_and_clamps() {
        let dir = FrameDir {
            frames: vec![PathBuf::from("a"), PathBuf::from("b"), PathBuf::from("c")],
            fps: 2.0,
            limits: ImageLimits::default(),
        };
        assert!((dir.duration_s() - 1.5).abs() < 1e-12);
        assert_eq!(dir.index_at(-1.0), 0);
        assert_eq!(dir.index_at(0.49), 0);
        assert_eq!(dir.index_at(0.5), 1);
        assert_eq!(dir.index_at(1.2), 2);
        assert_eq!(dir.index_at(99.0), 2);
        assert_eq!(dir.index_at(f64::NAN), 0);
        assert!(matches!(dir.frame(3), Err(MediaError::OutOfRange { index: 3, len: 3 })));
    }
}
