//! Audio through `FFmpeg`: the audio track of video files, and audio in containers or codecs
//! symphonia 0.5 lacks (Opus, `WebM`, ...). Output has the same shape as
//! [`super::audio`]'s: interleaved `f32` at the stream's own rate and channel count, no
//! resampling. Every sample format `FFmpeg` decoders produce (packed or planar u8, s16, s32, s64,
//! float, double) is converted by hand, so no resampler is involved.

use super::MediaError;
use super::audio::{AudioSamples, MAX_AUDIO_SECONDS};
use super::video::{map_ff, open_input_bytes, open_input_file, stream_duration};
use crate::model::{MediaKind, ProbeFacts};
use ffmpeg::format::context::Input;
use ffmpeg::{codec, decoder, frame, media};
use ffmpeg_next as ffmpeg;
use std::path::Path;

/// Facts about the best audio stream of a container: sample rate, channels, codec, duration.
pub(super) fn audio_facts(input: &Input) -> Option<ProbeFacts> {
    let stream = input.streams().best(media::Type::Audio)?;
    let opened =
        codec::context::Context::from_parameters(stream.parameters()).and_then(|ctx| ctx.decoder().audio()).ok();
    Some(ProbeFacts {
        duration_s: stream_duration(input, &stream),
        sample_rate: opened.as_ref().map(decoder::Audio::rate).filter(|&r| r > 0),
        channels: opened.as_ref().map(decoder::Audio::channels).filter(|&c| c > 0),
        codec: Some(stream.parameters().id().name().to_owned()),
        ..ProbeFacts::default()
    })
}

/// Probes an audio file with `FFmpeg` (for containers and codecs symphonia does not read).
pub(crate) fn probe_audio_file_ffmpeg(path: &Path) -> Result<ProbeFacts, MediaError> {
    let input = open_input_file(path, MediaKind::Audio)?;
    audio_facts(&input).ok_or(MediaError::NoStream { kind: MediaKind::Audio })
}

/// Probes audio bytes with `FFmpeg` (see [`probe_audio_file_ffmpeg`]).
pub(crate) fn probe_audio_bytes_ffmpeg(bytes: &[u8]) -> Result<ProbeFacts, MediaError> {
    let input = open_input_bytes(bytes, MediaKind::Audio)?;
    audio_facts(&input).ok_or(MediaError::NoStream { kind: MediaKind::Audio })
}

/// Decodes the first audio stream of any `FFmpeg`-readable file (the audio track of a video,
/// Opus, `WebM`, ...) to interleaved `f32` at the stream's own rate and channel count — the same
/// shape as [`super::audio::decode_audio_file`]. Damaged packets are skipped; a file with no
/// audio stream is [`MediaError::NoStream`], one with nothing decodable is corrupt.
pub fn decode_audio_track(path: &Path) -> Result<AudioSamples, MediaError> {
    decode_input(open_input_file(path, MediaKind::Audio)?)
}

/// Decodes the first audio stream of a file held in memory (an embedded video's sound), like
/// [`decode_audio_track`]; the bytes are read through `FFmpeg`'s custom I/O, nothing is written.
pub fn decode_audio_track_bytes(bytes: &[u8]) -> Result<AudioSamples, MediaError> {
    decode_input(open_input_bytes(bytes, MediaKind::Audio)?)
}

/// Decodes the best audio stream of an opened container (see [`decode_audio_track`]).
fn decode_input(mut input: Input) -> Result<AudioSamples, MediaError> {
    let kind = MediaKind::Audio;
    let stream = input.streams().best(media::Type::Audio).ok_or(MediaError::NoStream { kind })?;
    let index = stream.index();
    if let Some(seconds) = stream_duration(&input, &stream)
        && seconds > MAX_AUDIO_SECONDS
    {
        return Err(MediaError::TooLong { seconds, max_seconds: MAX_AUDIO_SECONDS });
    }
    let mut decoder = codec::context::Context::from_parameters(stream.parameters())
        .and_then(|ctx| ctx.decoder().audio())
        .map_err(|e| map_ff(kind, e))?;
    let mut out = AudioSamples::default();
    let mut frame = frame::Audio::empty();
    let mut last_error = None;
    for (stream, packet) in input.packets() {
        if stream.index() != index {
            continue;
        }
        if let Err(e) = decoder.send_packet(&packet) {
            last_error = Some(e.to_string());
            continue;
        }
        while decoder.receive_frame(&mut frame).is_ok() {
            append_audio(&frame, &mut out)?;
        }
    }
    if decoder.send_eof().is_ok() {
        while decoder.receive_frame(&mut frame).is_ok() {
            append_audio(&frame, &mut out)?;
        }
    }
    if out.samples.is_empty() || out.sample_rate == 0 {
        let why = last_error.unwrap_or_else(|| "the stream holds no samples".to_owned());
        return Err(MediaError::corrupt(kind, format!("no decodable audio ({why})")));
    }
    Ok(out)
}

/// Appends one decoded audio frame to `out` as interleaved `f32`, whatever `FFmpeg`'s sample
/// format (packed or planar; u8, s16, s32, s64, float, double).
fn append_audio(frame: &frame::Audio, out: &mut AudioSamples) -> Result<(), MediaError> {
    use ffmpeg::format::Sample;
    let (channels, rate, n) = (frame.channels(), frame.rate(), frame.samples());
    if channels == 0 || n == 0 {
        return Ok(());
    }
    if out.channels == 0 {
        (out.channels, out.sample_rate) = (channels, rate);
    } else if (out.channels, out.sample_rate) != (channels, rate) {
        return Ok(()); // a mid-stream format change: keep the first format
    }
    let format = frame.format();
    let convert: fn(&[u8]) -> f32 = match format {
        Sample::U8(_) => |b| (f32::from(b[0]) - 128.0) / 128.0,
        Sample::I16(_) => |b| f32::from(i16::from_ne_bytes([b[0], b[1]])) / 32_768.0,
        Sample::I32(_) => |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as f32 / 2_147_483_648.0,
        Sample::I64(_) => |b| {
            let mut raw = [0; 8];
            raw.copy_from_slice(b);
            i64::from_ne_bytes(raw) as f32 / 9_223_372_036_854_775_808.0
        },
        Sample::F32(_) => |b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        Sample::F64(_) => |b| {
            let mut raw = [0; 8];
            raw.copy_from_slice(b);
            f64::from_ne_bytes(raw) as f32
        },
        Sample::None => {
            return Err(MediaError::unsupported(MediaKind::Audio, "unknown sample format"));
        }
    };
    let width = format.bytes();
    let channels = usize::from(channels);
    let short = || MediaError::corrupt(MediaKind::Audio, "audio frame is shorter than declared");
    if format.is_planar() {
        if frame.planes() < channels {
            return Err(short());
        }
        let planes =
            (0..channels).map(|c| frame.data(c).get(..n * width).ok_or_else(short)).collect::<Result<Vec<_>, _>>()?;
        out.samples.reserve(n * channels);
        for i in 0..n {
            for plane in &planes {
                out.samples.push(convert(&plane[i * width..(i + 1) * width]));
            }
        }
    } else {
        let data = frame.data(0).get(..n * channels * width).ok_or_else(short)?;
        out.samples.extend(data.chunks_exact(width).map(convert));
    }
    if out.duration_s() > MAX_AUDIO_SECONDS {
        return Err(MediaError::TooLong { seconds: out.duration_s(), max_seconds: MAX_AUDIO_SECONDS });
    }
    Ok(())
}
