//! Audio for a served chat model or reward model: the clip decoded, mixed down to one channel,
//! resampled to [`AUDIO_RATE`] (the 16 kHz that the Whisper-style encoders of audio chat models
//! read; the server's processor would resample to it anyway) and written as 16-bit PCM WAV, the
//! format `OpenAI`'s `input_audio` content part and vLLM take. A clip longer than
//! [`AUDIO_SECONDS`] is sent up to there (said in the scorer's settings).

#[cfg(test)]
use crate::media::decode_audio_bytes;

/// The sample rate audio is sent at.
pub const AUDIO_RATE: u32 = 16_000;

/// The longest stretch of a clip sent, from its start, in seconds.
pub const AUDIO_SECONDS: u32 = 300;

/// How a served scorer sends audio, for its settings (a change is another scorer).
pub fn audio_setting() -> serde_json::Value {
    serde_json::json!({"format": "wav", "rate": AUDIO_RATE, "channels": 1, "max_seconds": AUDIO_SECONDS})
}

/// The clip `bytes` (of type `mime`, where known) as a mono 16-bit WAV at [`AUDIO_RATE`], or why
/// it cannot be.
pub fn to_wav(bytes: &[u8], mime: Option<&str>) -> Result<Vec<u8>, String> {
    let samples = crate::score::sound::mono_at(bytes, mime, AUDIO_RATE, f64::from(AUDIO_SECONDS))?;
    Ok(wav(&samples, AUDIO_RATE))
}

/// `samples` (one channel, in [-1, 1]) as a 16-bit PCM WAV file at `rate` Hz.
pub(super) fn wav(samples: &[f32], rate: u32) -> Vec<u8> {
    wav_channels(samples, rate, 1)
}

/// `samples` (`channels` interleaved, in [-1, 1]) as a 16-bit PCM WAV file at `rate` Hz.
fn wav_channels(samples: &[f32], rate: u32, channels: u16) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let frame_bytes = 2 * channels;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // the fmt chunk's size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(frame_bytes)).to_le_bytes()); // bytes a second
    out.extend_from_slice(&frame_bytes.to_le_bytes()); // bytes a frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits a sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stereo 16-bit WAV at `rate` of `seconds` of a `hz` tone, its right channel silent.
    fn stereo_tone(rate: u32, seconds: f32, hz: f32) -> Vec<u8> {
        let frames = (rate as f32 * seconds) as usize;
        let mut samples = Vec::with_capacity(frames * 2);
        for i in 0..frames {
            samples.push((std::f32::consts::TAU * hz * i as f32 / rate as f32).sin() * 0.5);
            samples.push(0.0);
        }
        wav_channels(&samples, rate, 2)
    }

    #[test]
    fn a_stereo_clip_becomes_a_mono_16_khz_wav_of_the_same_length_and_tone() {
        let sent = to_wav(&stereo_tone(44_100, 1.5, 440.0), Some("audio/wav")).expect("converts");
        let back = decode_audio_bytes(&sent, Some("wav")).expect("a WAV Verdict reads");
        assert_eq!((back.sample_rate, back.channels), (AUDIO_RATE, 1));
        assert_eq!(back.frames(), 24_000, "1.5 s at 16 kHz");
        // The tone is there, at half the left channel's amplitude (mixed with the silent right):
        // correlate with a 440 Hz sine and cosine over the middle second.
        let (mut s, mut c) = (0f64, 0f64);
        let middle = &back.samples[4_000..20_000];
        for (i, v) in middle.iter().enumerate() {
            let t = std::f64::consts::TAU * 440.0 * (i + 4_000) as f64 / 16_000.0;
            s += f64::from(*v) * t.sin();
            c += f64::from(*v) * t.cos();
        }
        let amplitude = 2.0 * (s * s + c * c).sqrt() / middle.len() as f64;
        assert!((amplitude - 0.25).abs() < 0.01, "amplitude {amplitude}");
    }

    #[test]
    fn a_long_clip_is_cut_and_a_broken_one_says_why() {
        let long = wav(&vec![0.1; 8_000 * (AUDIO_SECONDS as usize + 2)], 8_000);
        let sent = to_wav(&long, Some("audio/wav")).expect("converts");
        let back = decode_audio_bytes(&sent, Some("wav")).expect("reads");
        assert_eq!(back.frames(), (AUDIO_RATE * AUDIO_SECONDS) as usize);
        assert!(to_wav(b"RIFF\x00\x00\x00\x00WAVEjunk", Some("audio/wav")).is_err());
    }
}
