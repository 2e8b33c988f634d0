//! Audio clips as models read them: decoded (FFmpeg, `media`), mixed down to one channel, cut to
//! their first seconds and resampled (band-limited, by FFT, with rubato) to the model's rate.

use crate::media::decode_audio_bytes;
use rubato::{FftFixedIn, Resampler};

/// Frames the resampler takes at a time.
const CHUNK: usize = 4096;

/// The clip `bytes` (of type `mime`, where known): one channel at `rate` Hz, its first `seconds`
/// at most; or why it cannot be had.
pub fn mono_at(bytes: &[u8], mime: Option<&str>, rate: u32, seconds: f64) -> Result<Vec<f32>, String> {
    let hint = match mime {
        Some("audio/mpeg") => Some("mp3"),
        Some("audio/wav" | "audio/x-wav" | "audio/wave") => Some("wav"),
        Some("audio/flac") => Some("flac"),
        Some("audio/ogg") => Some("ogg"),
        _ => None,
    };
    let decoded = decode_audio_bytes(bytes, hint).map_err(|e| e.to_string())?;
    let channels = usize::from(decoded.channels.max(1));
    let keep = (f64::from(decoded.sample_rate) * seconds).ceil() as usize;
    let mono: Vec<f32> = decoded
        .samples
        .chunks_exact(channels)
        .take(keep)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect();
    let out = resample(&mono, decoded.sample_rate, rate)?;
    let keep = (f64::from(rate) * seconds).ceil() as usize;
    Ok(if out.len() > keep { out[..keep].to_vec() } else { out })
}

/// `x` (one channel at `from` Hz) at `to` Hz, as long as it lasts (band-limited, by FFT).
fn resample(x: &[f32], from: u32, to: u32) -> Result<Vec<f32>, String> {
    if from == to || x.is_empty() {
        return Ok(x.to_vec());
    }
    let fail = |e: &dyn std::fmt::Display| format!("resampling {from} Hz to {to} Hz: {e}");
    let mut r = FftFixedIn::<f32>::new(from as usize, to as usize, CHUNK, 2, 1).map_err(|e| fail(&e))?;
    let want = (x.len() as u64 * u64::from(to)).div_ceil(u64::from(from)) as usize;
    let delay = r.output_delay();
    let mut out = Vec::with_capacity(want + delay + CHUNK);
    let mut rest = x;
    while rest.len() >= r.input_frames_next() {
        let (chunk, after) = rest.split_at(r.input_frames_next());
        out.extend_from_slice(&r.process(&[chunk], None).map_err(|e| fail(&e))?[0]);
        rest = after;
    }
    out.extend_from_slice(&r.process_partial(Some(&[rest]), None).map_err(|e| fail(&e))?[0]);
    // The resampler holds back `delay` frames: flush them with silence.
    while out.len() < want + delay {
        let flushed = r.process_partial::<&[f32]>(None, None).map_err(|e| fail(&e))?;
        if flushed[0].is_empty() {
            break;
        }
        out.extend_from_slice(&flushed[0]);
    }
    Ok(out.into_iter().skip(delay).take(want).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_is_resampled_to_the_models_rate_and_cut_to_its_seconds() {
        // 0.5 s of a 44.1 kHz stereo WAV, a 1 kHz tone on the left, silence on the right.
        let rate = 44_100u32;
        let mut samples = Vec::new();
        for i in 0..rate / 2 {
            samples.push(((std::f32::consts::TAU * 1000.0 * i as f32 / rate as f32).sin() * 16_000.0) as i16);
            samples.push(0i16);
        }
        let mut wav = Vec::new();
        let data = (samples.len() * 2) as u32;
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        for v in [16u32.to_le_bytes(), [1, 0, 2, 0], rate.to_le_bytes(), (rate * 4).to_le_bytes(), [4, 0, 16, 0]] {
            wav.extend_from_slice(&v);
        }
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&data.to_le_bytes());
        for s in &samples {
            wav.extend_from_slice(&s.to_le_bytes());
        }
        let out = mono_at(&wav, Some("audio/wav"), 16_000, 10.0).expect("decodes");
        assert_eq!(out.len(), 8_000, "0.5 s at 16 kHz");
        let peak = out[1000..7000].iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!((peak - 16_000.0 / 32_768.0 / 2.0).abs() < 0.01, "the tone at half its level: {peak}");
        assert_eq!(mono_at(&wav, Some("audio/wav"), 16_000, 0.25).expect("decodes").len(), 4_000);
        assert!(mono_at(b"not audio", None, 16_000, 1.0).is_err());
    }
}
