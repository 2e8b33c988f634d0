//! Audio clips: probing and decoding with symphonia (WAV/PCM, MP3, FLAC, Ogg Vorbis, AAC in
//! M4A), plus waveform peaks for display.
//!
//! Decoded audio is interleaved `f32` at the source's own rate and channel count (no resampling).
//! A packet the decoder rejects is skipped, so one damaged frame does not lose a clip; a file in
//! which nothing decodes is an error. Clips longer than [`MAX_AUDIO_SECONDS`] are refused with
//! [`MediaError::TooLong`], both up front when the header declares the length and while
//! decoding, so a bogus header cannot exhaust memory.
//!
//! For audio *inside video files*, use [`super::ffmpeg_audio::decode_audio_track`]: `FFmpeg`
//! reads every codec it has, and rodio's symphonia-based decoder was seen truncating the AAC
//! track of MP4s with video. [`decode_audio_file`] and the audio probe fall back to `FFmpeg` for
//! containers or codecs symphonia 0.5 does not know (Opus, `WebM`, ...).

use super::MediaError;
use crate::model::{MediaKind, ProbeFacts};
use std::io::Cursor;
use std::path::Path;
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CodecParameters, DecoderOptions};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::{FormatOptions, FormatReader};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

const KIND: MediaKind = MediaKind::Audio;

/// The longest clip Verdict decodes: 30 minutes.
pub const MAX_AUDIO_SECONDS: f64 = 30.0 * 60.0;

/// How many demuxer errors in a row end a decode (a demuxer that cannot resync).
const MAX_CONSECUTIVE_ERRORS: u32 = 32;

/// Decoded audio: interleaved `f32` samples in `[-1, 1]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioSamples {
    /// Samples per second, per channel.
    pub sample_rate: u32,
    /// Number of interleaved channels.
    pub channels: u16,
    /// Interleaved samples: `frames() * channels` values.
    pub samples: Vec<f32>,
}

impl AudioSamples {
    /// Number of sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }

    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        if self.sample_rate == 0 {
            return 0.0;
        }
        self.frames() as f64 / f64::from(self.sample_rate)
    }
}

fn map_error(err: SymError) -> MediaError {
    match err {
        SymError::Unsupported(what) => MediaError::unsupported(KIND, what),
        other => MediaError::corrupt(KIND, other),
    }
}

struct Opened {
    format: Box<dyn FormatReader>,
    track_id: u32,
    params: CodecParameters,
}

fn open(source: Box<dyn MediaSource>, hint_ext: Option<&str>) -> Result<Opened, MediaError> {
    let stream = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = hint_ext {
        hint.with_extension(ext);
    }
    let options = FormatOptions { enable_gapless: true, ..FormatOptions::default() };
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &options, &MetadataOptions::default())
        .map_err(map_error)?;
    let format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or(MediaError::NoStream { kind: KIND })?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    Ok(Opened { format, track_id, params })
}

fn open_file(path: &Path) -> Result<Opened, MediaError> {
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let ext = path.extension().and_then(|e| e.to_str());
    open(Box::new(file), ext)
}

fn seconds(params: &CodecParameters, ticks: u64) -> Option<f64> {
    if let Some(time_base) = params.time_base {
        let time = time_base.calc_time(ticks);
        return Some(time.seconds as f64 + time.frac);
    }
    params.sample_rate.filter(|&rate| rate > 0).map(|rate| ticks as f64 / f64::from(rate))
}

fn probe(mut opened: Opened) -> Result<ProbeFacts, MediaError> {
    let params = &opened.params;
    // A container symphonia reads around a codec it cannot decode (Opus in Ogg) is unsupported
    // here, so the caller can fall back to `FFmpeg`.
    let codec = symphonia::default::get_codecs()
        .get_codec(params.codec)
        .map(|d| d.short_name.to_owned())
        .ok_or_else(|| MediaError::unsupported(KIND, "no symphonia decoder for the codec"))?;
    let duration_s = if let Some(n) = params.n_frames {
        seconds(params, n)
    } else {
        // No length in the header: add up packet durations (demux only, no decode).
        let mut ticks = 0_u64;
        while let Ok(packet) = opened.format.next_packet() {
            if packet.track_id() == opened.track_id {
                ticks = ticks.saturating_add(packet.dur);
            }
        }
        (ticks > 0).then(|| seconds(params, ticks)).flatten()
    };
    Ok(ProbeFacts {
        duration_s,
        sample_rate: params.sample_rate,
        channels: params.channels.map(|c| c.count() as u16),
        codec: Some(codec),
        ..ProbeFacts::default()
    })
}

/// Probes audio bytes from the container header. `hint_ext` (`"mp3"`, `"wav"`, ...) helps
/// formats without magic bytes.
pub(crate) fn probe_audio_bytes(bytes: &[u8], hint_ext: Option<&str>) -> Result<ProbeFacts, MediaError> {
    probe(open(Box::new(Cursor::new(bytes.to_vec())), hint_ext)?)
}

/// Probes an audio file from its container header.
pub(crate) fn probe_audio_file(path: &Path) -> Result<ProbeFacts, MediaError> {
    probe(open_file(path)?)
}

fn decode(mut opened: Opened) -> Result<AudioSamples, MediaError> {
    let params = &opened.params;
    if let Some(declared) = params.n_frames.and_then(|n| seconds(params, n))
        && declared > MAX_AUDIO_SECONDS
    {
        return Err(MediaError::TooLong { seconds: declared, max_seconds: MAX_AUDIO_SECONDS });
    }
    let mut decoder = symphonia::default::get_codecs().make(params, &DecoderOptions::default()).map_err(map_error)?;

    let mut out = AudioSamples::default();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let mut errors_in_a_row = 0;
    let mut last_error = None;
    loop {
        let packet = match opened.format.next_packet() {
            Ok(packet) => packet,
            Err(SymError::ResetRequired) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::DecodeError(e)) if errors_in_a_row < MAX_CONSECUTIVE_ERRORS => {
                errors_in_a_row += 1;
                last_error = Some(e.to_owned());
                continue;
            }
            Err(e) => {
                last_error = Some(e.to_string());
                break;
            }
        };
        if packet.track_id() != opened.track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(SymError::DecodeError(e)) => {
                last_error = Some(e.to_owned());
                continue;
            }
            Err(SymError::IoError(e)) => {
                last_error = Some(e.to_string());
                continue;
            }
            Err(e) => return Err(map_error(e)),
        };
        errors_in_a_row = 0;
        let spec = *decoded.spec();
        let channels = spec.channels.count() as u16;
        if out.channels == 0 {
            out.channels = channels;
            out.sample_rate = spec.rate;
        } else if (out.channels, out.sample_rate) != (channels, spec.rate) {
            // A mid-stream format change; keep the first format rather than mixing layouts.
            continue;
        }
        let buf = match &mut buffer {
            Some(buf) if buf.capacity() >= decoded.capacity() * spec.channels.count() => buf,
            slot => slot.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        out.samples.extend_from_slice(buf.samples());
        if out.duration_s() > MAX_AUDIO_SECONDS {
            return Err(MediaError::TooLong { seconds: out.duration_s(), max_seconds: MAX_AUDIO_SECONDS });
        }
    }
    if out.samples.is_empty() || out.sample_rate == 0 {
        let why = last_error.unwrap_or_else(|| "the stream holds no samples".to_owned());
        return Err(MediaError::corrupt(KIND, format!("no decodable audio ({why})")));
    }
    Ok(out)
}

/// Decodes a whole clip held in memory to interleaved `f32`. `hint_ext` (`"mp3"`, `"wav"`, ...)
/// helps formats without magic bytes.
pub fn decode_audio_bytes(bytes: &[u8], hint_ext: Option<&str>) -> Result<AudioSamples, MediaError> {
    decode(open(Box::new(Cursor::new(bytes.to_vec())), hint_ext)?)
}

/// Decodes a whole audio file to interleaved `f32`. A container symphonia does not recognize is
/// decoded with `FFmpeg` instead ([`super::ffmpeg_audio::decode_audio_track`]).
pub fn decode_audio_file(path: &Path) -> Result<AudioSamples, MediaError> {
    match open_file(path).and_then(decode) {
        Err(MediaError::Unsupported { .. }) => super::ffmpeg_audio::decode_audio_track(path),
        other => other,
    }
}

/// Min/max per bucket over all channels, for drawing a waveform: exactly `buckets` pairs when
/// there are samples (a bucket narrower than one frame repeats its nearest frame), an empty vec
/// when there are none or `buckets` is 0.
pub fn waveform_peaks(samples: &AudioSamples, buckets: usize) -> Vec<(f32, f32)> {
    let channels = usize::from(samples.channels.max(1));
    let frames = samples.samples.len() / channels;
    if frames == 0 || buckets == 0 {
        return Vec::new();
    }
    (0..buckets)
        .map(|i| {
            let start = i * frames / buckets;
            let end = ((i + 1) * frames / buckets).max(start + 1).min(frames);
            samples.samples[start * channels..end * channels]
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &s| (lo.min(s), hi.max(s)))
        })
        .collect()
}
