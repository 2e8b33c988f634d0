//! Video files through `FFmpeg` (ffmpeg-next on the system's libav*): probing and frame decoding
//! with seeking. The audio track of a video is decoded by [`super::ffmpeg_audio`]
//! ([`decode_audio_track`], re-exported here).
//!
//! [`VideoDecoder`] opens a file once and serves [`VideoDecoder::frame_at`] (seek to the
//! keyframe before `t`, decode forward to the frame nearest `t`) and
//! [`VideoDecoder::next_frame`] (step). It is `Send`, so a UI can own one on a background thread.
//! Frames come back as packed RGBA ([`RgbaFrame`]); the swscale context is created per
//! conversion because ffmpeg-next's scaler is not `Send`.
//!
//! `FFmpeg`'s own logging is silenced by [`init`]: its messages would interleave with the CLI's
//! progress output, and every failure is reported through [`MediaError`] instead.

use super::MediaError;
use super::image::ImageLimits;
use crate::model::{MediaKind, ProbeFacts};
use ffmpeg::format::context::{Input, StreamIo};
use ffmpeg::{Packet, Rational, codec, decoder, frame, media};
use ffmpeg_next as ffmpeg;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Once;

pub use super::ffmpeg_audio::decode_audio_track;

/// `FFmpeg`'s global time base (`AV_TIME_BASE`): container timestamps are in microseconds.
const AV_TIME_BASE: f64 = 1_000_000.0;

/// How many unreadable packets in a row end demuxing.
const MAX_BAD_PACKETS: u32 = 1_000;

/// Initializes `FFmpeg` once per process and silences its log. Idempotent and thread-safe; every
/// function in this module calls it, so callers need not.
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // `init` only registers devices and cannot fail on `FFmpeg` >= 4 in practice; a failure
        // would resurface as an error from the first open.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
    });
}

/// One decoded video frame as packed RGBA (`width * 4` bytes per row, no padding).
#[derive(Debug, Clone, PartialEq)]
pub struct RgbaFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, rows top to bottom.
    pub pixels: Vec<u8>,
    /// Presentation time in seconds from the start of the stream.
    pub pts_s: f64,
}

pub(super) fn map_ff(kind: MediaKind, err: ffmpeg::Error) -> MediaError {
    use ffmpeg::Error as E;
    match err {
        E::DecoderNotFound | E::DemuxerNotFound | E::ProtocolNotFound | E::PatchWelcome => {
            MediaError::unsupported(kind, err)
        }
        other => MediaError::corrupt(kind, other),
    }
}

fn positive(rational: Rational) -> Option<f64> {
    (rational.numerator() > 0 && rational.denominator() > 0).then(|| f64::from(rational))
}

pub(super) fn open_input_file(path: &Path, kind: MediaKind) -> Result<Input, MediaError> {
    init();
    std::fs::metadata(path).map_err(|e| MediaError::io(path, e))?;
    ffmpeg::format::input(path).map_err(|e| map_ff(kind, e))
}

pub(super) fn open_input_bytes(bytes: &[u8], kind: MediaKind) -> Result<Input, MediaError> {
    init();
    let io = StreamIo::from_read_seek(Cursor::new(bytes.to_vec())).map_err(|e| map_ff(kind, e))?;
    ffmpeg::format::input_from_stream(io, None, None).map_err(|e| map_ff(kind, e))
}

/// Container duration in seconds, when known.
fn container_duration(input: &Input) -> Option<f64> {
    (input.duration() > 0).then(|| input.duration() as f64 / AV_TIME_BASE)
}

/// Duration of `stream` in seconds from its own header, else the container's.
pub(super) fn stream_duration(input: &Input, stream: &ffmpeg::Stream) -> Option<f64> {
    let tb = f64::from(stream.time_base());
    if stream.duration() > 0 && tb > 0.0 { Some(stream.duration() as f64 * tb) } else { container_duration(input) }
}

fn probe_input(input: Input) -> Result<ProbeFacts, MediaError> {
    let audio = super::ffmpeg_audio::audio_facts(&input);
    let decoder = VideoDecoder::from_input(input, None)?;
    let mut facts = ProbeFacts {
        width: Some(decoder.width),
        height: Some(decoder.height),
        duration_s: decoder.duration_s,
        fps: decoder.fps,
        frame_count: decoder.frame_count,
        codec: Some(decoder.codec.clone()),
        ..ProbeFacts::default()
    };
    if let Some(audio) = audio {
        facts.sample_rate = audio.sample_rate;
        facts.channels = audio.channels;
    }
    Ok(facts)
}

/// Probes a video file: size, rate, duration, frame count and codec of the first video stream,
/// plus rate and channels of the first audio stream.
pub(crate) fn probe_video_file(path: &Path) -> Result<ProbeFacts, MediaError> {
    probe_input(open_input_file(path, MediaKind::Video)?)
}

/// Probes video bytes through `FFmpeg`'s custom I/O (nothing is written to disk).
pub(crate) fn probe_video_bytes(bytes: &[u8]) -> Result<ProbeFacts, MediaError> {
    probe_input(open_input_bytes(bytes, MediaKind::Video)?)
}

/// A video opened for decoding: open once, then seek ([`Self::frame_at`]) or step
/// ([`Self::next_frame`]) as often as needed.
pub struct VideoDecoder {
    input: Input,
    decoder: decoder::Video,
    stream_index: usize,
    /// Seconds per stream timestamp tick.
    time_base: f64,
    /// The stream's first timestamp, in ticks (0 when unknown).
    start_ts: i64,
    width: u32,
    height: u32,
    fps: Option<f64>,
    duration_s: Option<f64>,
    frame_count: Option<u64>,
    codec: String,
    /// The end of the file was reached and the decoder is being drained.
    draining: bool,
    /// A frame decoded past the one `frame_at` returned; `next_frame` hands it out first.
    pending: Option<(f64, frame::Video)>,
    last_pts_s: Option<f64>,
    /// Where to reopen from when seeking fails.
    path: Option<PathBuf>,
}

impl std::fmt::Debug for VideoDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoDecoder")
            .field("codec", &self.codec)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("fps", &self.fps)
            .field("duration_s", &self.duration_s)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl VideoDecoder {
    /// Opens the first video stream of a file.
    pub fn open(path: &Path) -> Result<Self, MediaError> {
        let input = open_input_file(path, MediaKind::Video)?;
        Self::from_input(input, Some(path.to_path_buf()))
    }

    /// Opens the first video stream of an in-memory file (the bytes are copied).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MediaError> {
        Self::from_input(open_input_bytes(bytes, MediaKind::Video)?, None)
    }

    fn from_input(input: Input, path: Option<PathBuf>) -> Result<Self, MediaError> {
        let kind = MediaKind::Video;
        let stream = input.streams().best(media::Type::Video).ok_or(MediaError::NoStream { kind })?;
        let stream_index = stream.index();
        let time_base = f64::from(stream.time_base());
        let start_ts = match stream.start_time() {
            ffmpeg::ffi::AV_NOPTS_VALUE => 0,
            ts => ts,
        };
        let fps = positive(stream.avg_frame_rate()).or_else(|| positive(stream.rate()));
        let duration_s = stream_duration(&input, &stream);
        let frame_count = u64::try_from(stream.frames()).ok().filter(|&n| n > 0);
        let codec = stream.parameters().id().name().to_owned();
        let decoder = codec::context::Context::from_parameters(stream.parameters())
            .and_then(|ctx| ctx.decoder().video())
            .map_err(|e| match e {
                ffmpeg::Error::DecoderNotFound => {
                    MediaError::unsupported(kind, format!("no decoder for codec {codec}"))
                }
                other => map_ff(kind, other),
            })?;
        let (width, height) = (decoder.width(), decoder.height());
        if width == 0 || height == 0 {
            return Err(MediaError::corrupt(kind, "the video stream declares no frame size"));
        }
        ImageLimits::default().check(kind, width, height)?;
        if time_base.is_nan() || time_base <= 0.0 {
            return Err(MediaError::corrupt(kind, "the video stream has no time base"));
        }
        Ok(Self {
            input,
            decoder,
            stream_index,
            time_base,
            start_ts,
            width,
            height,
            fps,
            duration_s,
            frame_count,
            codec,
            draining: false,
            pending: None,
            last_pts_s: None,
            path,
        })
    }

    /// Frame width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Average frame rate, when the container says.
    pub fn fps(&self) -> Option<f64> {
        self.fps
    }

    /// Duration in seconds, when known.
    pub fn duration_s(&self) -> Option<f64> {
        self.duration_s
    }

    /// Number of frames, when the container says.
    pub fn frame_count(&self) -> Option<u64> {
        self.frame_count
    }

    /// The codec's short name (`h264`, `mpeg4`, `vp9`, ...).
    pub fn codec(&self) -> &str {
        &self.codec
    }

    fn pts_of(&mut self, frame: &frame::Video) -> f64 {
        let pts = match frame.timestamp().or_else(|| frame.pts()) {
            Some(ts) => (ts - self.start_ts) as f64 * self.time_base,
            None => self.last_pts_s.map_or(0.0, |last| last + 1.0 / self.fps.unwrap_or(25.0)),
        };
        self.last_pts_s = Some(pts);
        pts
    }

    /// Sends the next packet of our stream to the decoder, or end-of-stream at the end.
    fn feed(&mut self) -> Result<(), MediaError> {
        let mut packet = Packet::empty();
        let mut bad = 0;
        loop {
            let result = match packet.read(&mut self.input) {
                Ok(()) if packet.stream() != self.stream_index => continue,
                Ok(()) => self.decoder.send_packet(&packet),
                Err(ffmpeg::Error::Eof) => {
                    self.draining = true;
                    return self.decoder.send_eof().map_err(|e| map_ff(MediaKind::Video, e));
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => return Ok(()),
                // A damaged packet (or one the demuxer could not read): skip it.
                Err(ffmpeg::Error::InvalidData) if bad < MAX_BAD_PACKETS => bad += 1,
                Err(e) => return Err(map_ff(MediaKind::Video, e)),
            }
        }
    }

    /// The next decoded frame in presentation order, unconverted; `None` at the end.
    fn next_raw(&mut self) -> Result<Option<(f64, frame::Video)>, MediaError> {
        if let Some(pending) = self.pending.take() {
            return Ok(Some(pending));
        }
        let mut frame = frame::Video::empty();
        let mut bad = 0;
        loop {
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => {
                    let pts = self.pts_of(&frame);
                    return Ok(Some((pts, frame)));
                }
                Err(ffmpeg::Error::Eof) => return Ok(None),
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::error::EAGAIN => {
                    if self.draining {
                        return Ok(None);
                    }
                    self.feed()?;
                }
                Err(ffmpeg::Error::InvalidData) if bad < MAX_BAD_PACKETS => bad += 1,
                Err(e) => return Err(map_ff(MediaKind::Video, e)),
            }
        }
    }

    /// Decodes the next frame after the last one returned; `None` at the end of the stream.
    pub fn next_frame(&mut self) -> Result<Option<RgbaFrame>, MediaError> {
        match self.next_raw()? {
            Some((pts, frame)) => to_rgba(&frame, pts).map(Some),
            None => Ok(None),
        }
    }

    fn seek(&mut self, t: f64) -> Result<(), MediaError> {
        self.pending = None;
        self.last_pts_s = None;
        let start_s = self.start_ts as f64 * self.time_base;
        let target = ((start_s + t) * AV_TIME_BASE) as i64;
        match self.input.seek(target, ..target) {
            Ok(()) => {
                self.decoder.flush();
                self.draining = false;
                Ok(())
            }
            Err(e) => match self.path.clone() {
                // Some demuxers cannot seek everywhere; reading again from the start always works.
                Some(path) => {
                    *self = Self::open(&path)?;
                    Ok(())
                }
                None => Err(map_ff(MediaKind::Video, e)),
            },
        }
    }

    /// The frame nearest to `t_seconds` (clamped to the stream): seeks to the keyframe at or
    /// before `t`, then decodes forward. Past the end, the last frame.
    pub fn frame_at(&mut self, t_seconds: f64) -> Result<RgbaFrame, MediaError> {
        let t = if t_seconds.is_finite() { t_seconds.max(0.0) } else { 0.0 };
        self.seek(t)?;
        let mut previous: Option<(f64, frame::Video)> = None;
        while let Some((pts, frame)) = self.next_raw()? {
            if pts + 1e-9 >= t {
                return match previous {
                    Some((prev_pts, prev)) if t - prev_pts <= pts - t => {
                        self.pending = Some((pts, frame));
                        to_rgba(&prev, prev_pts)
                    }
                    _ => to_rgba(&frame, pts),
                };
            }
            previous = Some((pts, frame));
        }
        match previous {
            Some((pts, frame)) => to_rgba(&frame, pts),
            None => Err(MediaError::corrupt(MediaKind::Video, "no decodable video frame")),
        }
    }
}

impl VideoDecoder {
    /// Frames sampled every `step_s` seconds from the start (the first frame at or after each
    /// tick), at most `max` of them, decoded in one pass without seeking: only the sampled frames
    /// are converted to RGBA. A stream with no decodable frame is an error.
    pub fn sample_every(&mut self, step_s: f64, max: usize) -> Result<Vec<RgbaFrame>, MediaError> {
        let step = if step_s.is_finite() && step_s > 0.0 { step_s } else { 1.0 };
        let mut out = Vec::new();
        let mut next_tick = 0.0;
        let mut decoded = 0usize;
        while out.len() < max {
            let Some((pts, frame)) = self.next_raw()? else { break };
            decoded += 1;
            if pts + 1e-9 >= next_tick {
                out.push(to_rgba(&frame, pts)?);
                // A gap longer than a step (a trimmed or damaged stretch) skips the ticks it covers.
                while next_tick <= pts + 1e-9 {
                    next_tick += step;
                }
            }
        }
        if decoded == 0 {
            return Err(MediaError::corrupt(MediaKind::Video, "no decodable video frame"));
        }
        Ok(out)
    }
}

impl VideoDecoder {
    /// Decodes the rest of the stream without converting a frame and says how many frames
    /// decoded (a damaged packet is skipped, as in [`Self::next_frame`]): what a check that the
    /// video decodes in full compares with the frames its container declares.
    pub fn count_frames(&mut self) -> Result<u64, MediaError> {
        let mut count = 0;
        while self.next_raw()?.is_some() {
            count += 1;
        }
        Ok(count)
    }
}

/// Converts a decoded frame to packed RGBA with swscale, copying row by row (`FFmpeg` pads rows).
fn to_rgba(frame: &frame::Video, pts_s: f64) -> Result<RgbaFrame, MediaError> {
    let kind = MediaKind::Video;
    let (width, height) = (frame.width(), frame.height());
    ImageLimits::default().check(kind, width, height)?;
    let mut scaler = ffmpeg::software::scaling::Context::get(
        frame.format(),
        width,
        height,
        ffmpeg::format::Pixel::RGBA,
        width,
        height,
        ffmpeg::software::scaling::Flags::BILINEAR,
    )
    .map_err(|e| map_ff(kind, e))?;
    let mut rgba = frame::Video::empty();
    scaler.run(frame, &mut rgba).map_err(|e| map_ff(kind, e))?;
    let row = width as usize * 4;
    let stride = rgba.stride(0);
    let data = rgba.data(0);
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let line = data
            .get(y * stride..y * stride + row)
            .ok_or_else(|| MediaError::corrupt(kind, "converted frame is shorter than declared"))?;
        pixels.extend_from_slice(line);
    }
    Ok(RgbaFrame { width, height, pixels, pts_s })
}

/// Opens `path` and returns the frame nearest `t_seconds` (see [`VideoDecoder::frame_at`]).
pub fn decode_frame_at(path: &Path, t_seconds: f64) -> Result<RgbaFrame, MediaError> {
    VideoDecoder::open(path)?.frame_at(t_seconds)
}
