//! Near-duplicate video and audio: fingerprints that are sequences, compared at their best
//! alignment, so that a re-encoded copy or one with its start trimmed matches the original.
//!
//! A video is the perceptual hashes of frames sampled every [`FRAME_STEP_S`] seconds (a frame
//! folder: of its frames in order); two videos are near duplicates when, at the best offset, most
//! frames of the shorter one are within a Hamming radius of the frame facing them. Audio is a
//! Chromaprint fingerprint (`rusty-chromaprint`, the `test2` preset fpcalc uses); two clips are
//! near duplicates when the segments Chromaprint's own matcher aligns cover most of the shorter
//! one. Candidates come from an index in both cases, never from all pairs: videos sharing near
//! frames (multi-index hashing over every frame hash), clips sharing exact sub-fingerprints.

use super::hamming;
use super::phash;
use crate::media::{AudioSamples, RgbaFrame};
use rusty_chromaprint::{Configuration, Fingerprinter, match_fingerprints};
use std::collections::HashMap;

/// Seconds between the frames a video's fingerprint samples.
pub const FRAME_STEP_S: f64 = 0.5;

/// At most this many frames of a video are hashed (5 minutes at the step).
pub const MAX_FRAMES: usize = 600;

/// Share of the shorter sequence that must match for two items to be near duplicates.
pub const DEFAULT_COVERAGE: f64 = 0.8;

/// A Chromaprint segment counts as matching below this mean number of differing bits (of 32).
const AUDIO_SEGMENT_BITS: f64 = 10.0;

/// The perceptual hash of a decoded frame.
pub fn frame_hash(frame: &RgbaFrame) -> u64 {
    let rgb: Vec<u8> = frame.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    phash::phash_rgb(frame.width as usize, frame.height as usize, &rgb)
}

/// Frames `a` and `b` compared at every offset: the best share of the shorter sequence whose
/// frames are within `radius` of the frame facing them, and that offset (`b` shifted by it).
pub fn frames_similarity(a: &[u64], b: &[u64], radius: u32) -> (f64, i64) {
    if a.is_empty() || b.is_empty() {
        return (0.0, 0);
    }
    let shorter = a.len().min(b.len());
    let mut best = (0usize, 0i64);
    for offset in -(b.len() as i64 - 1)..a.len() as i64 {
        let hits = (0..b.len())
            .filter(|&j| {
                let i = j as i64 + offset;
                i >= 0 && (i as usize) < a.len() && (a[i as usize] ^ b[j]).count_ones() <= radius
            })
            .count();
        if hits > best.0 {
            best = (hits, offset);
        }
    }
    (best.0 as f64 / shorter as f64, best.1)
}

/// Pairs `(i, j, similarity)`, `i < j`, of frame sequences that are near duplicates: candidates
/// share at least one pair of frames within `radius` (two, when both have more than two frames),
/// then are aligned in full.
pub fn near_videos(videos: &[Vec<u64>], radius: u32, coverage: f64) -> Vec<(u32, u32, f64)> {
    let mut owner = Vec::new();
    let mut all = Vec::new();
    for (v, frames) in videos.iter().enumerate() {
        // Repeated frames (a still scene) count once: they would only multiply the pairs.
        let mut distinct = frames.clone();
        distinct.sort_unstable();
        distinct.dedup();
        for h in distinct {
            owner.push(v as u32);
            all.push(h);
        }
    }
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for (x, y, _) in hamming::pairs_within(&all, radius) {
        let (a, b) = (owner[x as usize], owner[y as usize]);
        if a != b {
            *shared.entry((a.min(b), a.max(b))).or_default() += 1;
        }
    }
    let mut out: Vec<(u32, u32, f64)> = shared
        .into_iter()
        .filter(|((a, b), n)| {
            let need = if videos[*a as usize].len() > 2 && videos[*b as usize].len() > 2 { 2 } else { 1 };
            *n >= need
        })
        .filter_map(|((a, b), _)| {
            let (sim, _) = frames_similarity(&videos[a as usize], &videos[b as usize], radius);
            (sim >= coverage).then_some((a, b, sim))
        })
        .collect();
    out.sort_by_key(|p| (p.0, p.1));
    out
}

/// The Chromaprint configuration fingerprints are made and compared with.
pub fn audio_config() -> Configuration {
    Configuration::preset_test2()
}

/// The Chromaprint fingerprint of decoded audio (interleaved floats in -1..1).
pub fn audio_fingerprint(audio: &AudioSamples) -> Result<Vec<u32>, String> {
    let config = audio_config();
    let mut printer = Fingerprinter::new(&config);
    printer
        .start(audio.sample_rate, u32::from(audio.channels.max(1)))
        .map_err(|e| format!("cannot fingerprint audio at {} Hz: {e:?}", audio.sample_rate))?;
    let pcm: Vec<i16> = audio.samples.iter().map(|s| (s.clamp(-1.0, 1.0) * 32767.0) as i16).collect();
    for chunk in pcm.chunks(1 << 16) {
        printer.consume(chunk);
    }
    printer.finish();
    Ok(printer.fingerprint().to_vec())
}

/// The share of the shorter fingerprint that Chromaprint's matcher aligns with the other one.
pub fn audio_similarity(a: &[u32], b: &[u32]) -> f64 {
    let shorter = a.len().min(b.len());
    if shorter == 0 {
        return 0.0;
    }
    let Ok(segments) = match_fingerprints(a, b, &audio_config()) else { return 0.0 };
    let matched: usize = segments.iter().filter(|s| s.score < AUDIO_SEGMENT_BITS).map(|s| s.items_count).sum();
    (matched as f64 / shorter as f64).min(1.0)
}

/// Pairs `(i, j, similarity)`, `i < j`, of near-duplicate audio fingerprints: candidates share
/// exact sub-fingerprints (values common to more than 1% of the clips, such as silence, are not
/// counted), then are aligned by Chromaprint's matcher.
pub fn near_audio(prints: &[Vec<u32>], coverage: f64) -> Vec<(u32, u32, f64)> {
    let mut postings: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, p) in prints.iter().enumerate() {
        let mut values = p.clone();
        values.sort_unstable();
        values.dedup();
        for v in values {
            postings.entry(v).or_default().push(i as u32);
        }
    }
    let common = (prints.len() / 100).max(8);
    let mut shared: HashMap<(u32, u32), u32> = HashMap::new();
    for list in postings.values().filter(|l| l.len() > 1 && l.len() <= common) {
        for (k, a) in list.iter().enumerate() {
            for b in &list[k + 1..] {
                *shared.entry((*a, *b)).or_default() += 1;
            }
        }
    }
    let mut out: Vec<(u32, u32, f64)> = shared
        .into_iter()
        .filter(|(_, n)| *n >= 2)
        .filter_map(|((a, b), _)| {
            let sim = audio_similarity(&prints[a as usize], &prints[b as usize]);
            (sim >= coverage).then_some((a, b, sim))
        })
        .collect();
    out.sort_by_key(|p| (p.0, p.1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trimmed_sequence_aligns_at_its_offset() {
        let a: Vec<u64> = (0..20u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        let b: Vec<u64> = a[3..].iter().map(|h| h ^ 0b101).collect();
        let (sim, offset) = frames_similarity(&a, &b, 4);
        assert!((sim - 1.0).abs() < 1e-12);
        assert_eq!(offset, 3);
        let far: Vec<u64> = a.iter().map(|h| !h).collect();
        assert!(frames_similarity(&a, &far, 4).0 < 0.2);
    }

    #[test]
    fn near_videos_finds_the_trimmed_copy_only() {
        let mut s = 7u64;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            s
        };
        let a: Vec<u64> = (0..30).map(|_| next()).collect();
        let c: Vec<u64> = (0..30).map(|_| next()).collect();
        let b: Vec<u64> = a[5..].iter().map(|h| h ^ 1).collect();
        let pairs = near_videos(&[a, c, b], 6, DEFAULT_COVERAGE);
        assert_eq!(pairs.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(), [(0, 2)]);
    }

    fn tone(seconds: f64, rate: u32, freqs: &[(f64, f64)]) -> AudioSamples {
        let n = (seconds * f64::from(rate)) as usize;
        let samples = (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                // A melody: the frequency steps every half second.
                let (f, g) = freqs[(t * 2.0) as usize % freqs.len()];
                (0.4 * (2.0 * std::f64::consts::PI * f * t).sin() + 0.2 * (2.0 * std::f64::consts::PI * g * t).sin())
                    as f32
            })
            .collect();
        AudioSamples { sample_rate: rate, channels: 1, samples }
    }

    #[test]
    fn a_resampled_quieter_copy_matches_and_another_melody_does_not() {
        let melody = [(440.0, 660.0), (523.0, 784.0), (392.0, 587.0), (349.0, 523.0), (494.0, 740.0)];
        let other = [(300.0, 450.0), (610.0, 915.0), (250.0, 375.0), (700.0, 1050.0), (333.0, 500.0)];
        let a = audio_fingerprint(&tone(12.0, 44_100, &melody)).expect("fingerprint");
        let mut quiet = tone(12.0, 22_050, &melody);
        for s in &mut quiet.samples {
            *s *= 0.5;
        }
        let b = audio_fingerprint(&quiet).expect("fingerprint");
        let c = audio_fingerprint(&tone(12.0, 44_100, &other)).expect("fingerprint");
        assert!(audio_similarity(&a, &b) >= DEFAULT_COVERAGE, "{}", audio_similarity(&a, &b));
        assert!(audio_similarity(&a, &c) < 0.5, "{}", audio_similarity(&a, &c));
    }
}
