//! CLAP's audio features, as transformers' `ClapFeatureExtractor` makes them from a mono clip at
//! the model's rate: the clip filled to `max_length_s` (`repeatpad`: repeated whole, then
//! silence; `repeat`; `pad`), a short-time Fourier transform (Hann window, centred frames with
//! reflected ends), its power through a triangular mel filter bank, in decibels. Numbers follow
//! transformers' numpy code: float64 throughout, the transform's output rounded to complex64 as
//! numpy stores it.
//!
//! Two truncations, as the checkpoint's `truncation` says:
//! - `rand_trunc` (unfused models, e.g. laion/clap-htsat-unfused): Slaney's mel scale and
//!   normalization, one channel; a longer clip is cut at its start (the extractor crops at random;
//!   Verdict at 0, so that a clip scores the same every time).
//! - `fusion` (fused models, e.g. laion/clap-htsat-fused): HTK's mel scale, four channels: a clip
//!   that fits is the same mel four times; a longer one is its whole mel shrunk to the model's
//!   length (bilinear, as torch's `interpolate`) and three crops of it, one from each third of
//!   where a crop can start (the extractor draws each at random; Verdict takes each third's
//!   middle), and is "longer", which the model's feature fusion reads.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

/// How a clip shorter than the model's length is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Padding {
    /// Repeated whole as often as it fits, then silence.
    RepeatPad,
    /// Repeated, the last repetition cut.
    Repeat,
    /// Silence.
    Pad,
}

/// The longest stretch of a clip a fused model's extractor reads (from its start), in seconds.
pub const FUSED_SECONDS: f64 = 300.0;

/// Which mel bank, and what a longer clip becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truncation {
    /// Slaney's bank, one channel, a longer clip cut at its start.
    RandTrunc,
    /// HTK's bank, four channels, a longer clip shrunk and cropped.
    Fusion,
}

/// One clip's features.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    /// `channels x frames x mels` values, row by row, in decibels.
    pub values: Vec<f32>,
    /// Longer than the model's length, with `fusion`: the fused model fuses its crops.
    pub longer: bool,
}

/// The feature extractor of a CLAP folder (`preprocessor_config.json`).
#[derive(Debug, Clone)]
pub struct ClapFeatures {
    /// The sample rate the model reads, Hz.
    pub rate: u32,
    /// Mel bins per frame.
    pub mels: usize,
    hop: usize,
    fft: usize,
    max_samples: usize,
    padding: Padding,
    truncation: Truncation,
    top_db: Option<f64>,
    window: Vec<f64>,
    /// Per mel bin, the first FFT bin its triangle covers and the weights from there (the bank is
    /// sparse: a bin's triangle spans a few FFT bins).
    filters: Vec<(usize, Vec<f64>)>,
    settings: serde_json::Value,
}

fn hertz_to_mel(f: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + f / 700.0).log10();
    }
    let logstep = 27.0 / 6.4f64.ln();
    if f >= 1000.0 { 15.0 + (f / 1000.0).ln() * logstep } else { 3.0 * f / 200.0 }
}

fn mel_to_hertz(m: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(m / 2595.0) - 1.0);
    }
    let logstep = 6.4f64.ln() / 27.0;
    if m >= 15.0 { 1000.0 * (logstep * (m - 15.0)).exp() } else { 200.0 * m / 3.0 }
}

/// `n` evenly spaced values from `a` to `b`, both included (numpy's `linspace`).
fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![a];
    }
    let step = (b - a) / (n - 1) as f64;
    (0..n).map(|i| if i == n - 1 { b } else { a + step * i as f64 }).collect()
}

/// transformers' `mel_filter_bank`: HTK's scale without normalization (`htk`), or Slaney's scale
/// and normalization; `bins x mels`.
fn mel_filters(bins: usize, mels: usize, (low, high): (f64, f64), rate: u32, htk: bool) -> Vec<f64> {
    let mel_points = linspace(hertz_to_mel(low, htk), hertz_to_mel(high, htk), mels + 2);
    let edges: Vec<f64> = mel_points.into_iter().map(|m| mel_to_hertz(m, htk)).collect();
    let fft_freqs = linspace(0.0, f64::from(rate / 2), bins);
    let mut out = vec![0.0; bins * mels];
    for (b, f) in fft_freqs.iter().enumerate() {
        for m in 0..mels {
            let down = -(edges[m] - f) / (edges[m + 1] - edges[m]);
            let up = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
            let norm = if htk { 1.0 } else { 2.0 / (edges[m + 2] - edges[m]) };
            out[b * mels + m] = down.min(up).max(0.0) * norm;
        }
    }
    out
}

/// The bank `bins x mels` per mel bin: the first bin it weighs and its weights up to its last.
fn sparse(bank: &[f64], mels: usize) -> Vec<(usize, Vec<f64>)> {
    (0..mels)
        .map(|m| {
            let column: Vec<f64> = bank.iter().skip(m).step_by(mels).copied().collect();
            let first = column.iter().position(|&w| w != 0.0).unwrap_or(0);
            let last = column.iter().rposition(|&w| w != 0.0).map_or(first, |l| l + 1);
            (first, column[first..last].to_vec())
        })
        .collect()
}

/// torch's `interpolate(mode="bilinear", align_corners=False)` of `rows x width` values to `to`
/// rows (the width kept).
fn shrink_rows(x: &[f32], rows: usize, width: usize, to: usize) -> Vec<f32> {
    let scale = rows as f32 / to as f32;
    let mut out = Vec::with_capacity(to * width);
    for i in 0..to {
        let src = (scale * (i as f32 + 0.5) - 0.5).max(0.0);
        let r0 = (src as usize).min(rows - 1);
        let r1 = if r0 < rows - 1 { r0 + 1 } else { r0 };
        let l1 = src - r0 as f32;
        let l0 = 1.0 - l1;
        out.extend((0..width).map(|c| l0 * x[r0 * width + c] + l1 * x[r1 * width + c]));
    }
    out
}

/// numpy's `array_split` of `0..n` into three: the middle of each part (0 for an empty one).
fn thirds_middles(n: usize) -> [usize; 3] {
    let (base, extra) = (n / 3, n % 3);
    let mut start = 0;
    let mut out = [0; 3];
    for (k, o) in out.iter_mut().enumerate() {
        let len = base + usize::from(k < extra);
        *o = if len == 0 { 0 } else { start + len / 2 };
        start += len;
    }
    out
}

impl ClapFeatures {
    /// The extractor `preprocessor_config.json` describes (transformers' defaults for what it
    /// leaves out), or why Verdict does not run it.
    pub fn from_config(c: &serde_json::Value) -> Result<Self, String> {
        let num = |key: &str, default: f64| c[key].as_f64().unwrap_or(default);
        let int = |key: &str, default: usize| c[key].as_u64().map_or(default, |n| n as usize);
        let rate = u32::try_from(int("sampling_rate", 48_000)).map_err(|_| "sampling_rate is too large".to_string())?;
        let mels = int("feature_size", 64);
        let hop = int("hop_length", 480);
        let fft = int("fft_window_size", 1024);
        let seconds = num("max_length_s", 10.0);
        let truncation = match c["truncation"].as_str().unwrap_or("fusion") {
            "rand_trunc" => Truncation::RandTrunc,
            "fusion" => Truncation::Fusion,
            other => return Err(format!("truncation `{other}` is not one of rand_trunc, fusion")),
        };
        let padding = match c["padding"].as_str().unwrap_or("repeatpad") {
            "repeatpad" => Padding::RepeatPad,
            "repeat" => Padding::Repeat,
            "pad" => Padding::Pad,
            other => return Err(format!("padding `{other}` is not one of repeatpad, repeat, pad")),
        };
        if rate == 0 || mels == 0 || hop == 0 || fft < 2 || seconds <= 0.0 {
            return Err(
                "sampling_rate, feature_size, hop_length, fft_window_size and max_length_s must be positive".into()
            );
        }
        let max_samples = (seconds * f64::from(rate)) as usize;
        if max_samples < fft {
            return Err(format!("max_length_s {seconds} is shorter than one FFT window of {fft} samples"));
        }
        let (low, high) = (num("frequency_min", 0.0), num("frequency_max", 14_000.0));
        if !(0.0..=high).contains(&low) {
            return Err(format!("frequency_min {low} must lie between 0 and frequency_max {high}"));
        }
        let top_db = c["top_db"].as_f64();
        // A periodic Hann window (numpy's `hanning(n + 1)` without its last value).
        let window = (0..fft).map(|n| 0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / fft as f64).cos()).collect();
        let settings = serde_json::json!({
            "rate": rate, "mels": mels, "hop": hop, "fft": fft, "max_samples": max_samples,
            "frequencies": [low, high], "padding": c["padding"].as_str().unwrap_or("repeatpad"),
            "long_clips": if truncation == Truncation::Fusion { "shrunk, and crops at the thirds' middles" } else { "first max_length_s" },
            "truncation": c["truncation"].as_str().unwrap_or("fusion"), "top_db": top_db,
        });
        Ok(Self {
            rate,
            mels,
            hop,
            fft,
            max_samples,
            padding,
            truncation,
            top_db,
            window,
            filters: sparse(&mel_filters(fft / 2 + 1, mels, (low, high), rate, truncation == Truncation::Fusion), mels),
            settings,
        })
    }

    /// Frames per clip: every clip becomes `frames x mels` features.
    pub fn frames(&self) -> usize {
        self.max_samples / self.hop + 1
    }

    /// What changes the features, for the scorer's settings.
    pub fn settings(&self) -> &serde_json::Value {
        &self.settings
    }

    /// Channels per clip: 4 for a fused model's extractor, else 1.
    pub fn channels(&self) -> usize {
        if self.truncation == Truncation::Fusion { 4 } else { 1 }
    }

    /// How much of a clip the extractor reads, in seconds: the model's length (`rand_trunc`), or
    /// up to [`FUSED_SECONDS`] (`fusion`, which shrinks the whole clip).
    pub fn read_seconds(&self) -> f64 {
        match self.truncation {
            Truncation::RandTrunc => self.max_samples as f64 / f64::from(self.rate),
            Truncation::Fusion => FUSED_SECONDS,
        }
    }

    /// The samples a clip is cut to (`rand_trunc`) or shrunk and cropped to (`fusion`).
    pub fn max_samples(&self) -> usize {
        self.max_samples
    }

    /// The clip `wave` (mono, at [`Self::rate`]) filled or cut to the model's length.
    fn fitted(&self, wave: &[f32]) -> Vec<f64> {
        let max = self.max_samples;
        let mut out: Vec<f64> = Vec::with_capacity(max);
        match self.padding {
            Padding::RepeatPad => {
                for _ in 0..max / wave.len() {
                    out.extend(wave.iter().map(|&x| f64::from(x)));
                }
            }
            Padding::Repeat => {
                while out.len() < max {
                    out.extend(wave.iter().map(|&x| f64::from(x)));
                }
            }
            Padding::Pad => {}
        }
        if out.is_empty() || wave.len() >= max {
            out = wave.iter().take(max).map(|&x| f64::from(x)).collect();
        }
        out.resize(max, 0.0);
        out
    }

    /// The features of the clip `wave` (mono, at [`Self::rate`]).
    pub fn extract(&self, wave: &[f32]) -> Result<Features, String> {
        if wave.is_empty() {
            return Err("the clip holds no sound".into());
        }
        let frames = self.frames();
        if self.truncation == Truncation::RandTrunc {
            return Ok(Features { values: self.log_mel(&self.fitted(wave))?, longer: false });
        }
        let whole = wave.len() > self.max_samples;
        let x: Vec<f64> = if whole { wave.iter().map(|&v| f64::from(v)).collect() } else { self.fitted(wave) };
        let mel = self.log_mel(&x)?;
        let total = mel.len() / self.mels;
        let one = frames * self.mels;
        if total == frames {
            return Ok(Features { values: mel.repeat(4), longer: false });
        }
        let mut values = shrink_rows(&mel, total, self.mels, frames);
        for start in thirds_middles(total - frames + 1) {
            values.extend_from_slice(&mel[start * self.mels..start * self.mels + one]);
        }
        Ok(Features { values, longer: true })
    }

    /// The log-mel spectrogram of `x`: `frames x mels`, row by row, in decibels.
    fn log_mel(&self, x: &[f64]) -> Result<Vec<f32>, String> {
        let half = self.fft / 2;
        if x.len() <= half {
            return Err(format!("the clip is shorter than half an FFT window ({half} samples)"));
        }
        // Centred frames: the ends reflected (numpy's `pad(mode="reflect")`).
        let mut padded = Vec::with_capacity(x.len() + 2 * half);
        padded.extend((1..=half).rev().map(|i| x[i]));
        padded.extend_from_slice(x);
        padded.extend((0..half).map(|i| x[x.len() - 2 - i]));
        let frames = (padded.len() - self.fft) / self.hop + 1;
        let bins = half + 1;
        let plan = RealFftPlanner::<f64>::new().plan_fft_forward(self.fft);
        let mut input = plan.make_input_vec();
        let mut spectrum: Vec<Complex<f64>> = plan.make_output_vec();
        let mut power = vec![0.0f64; bins];
        let mut out = Vec::with_capacity(frames * self.mels);
        for f in 0..frames {
            let frame = &padded[f * self.hop..f * self.hop + self.fft];
            for ((i, s), w) in input.iter_mut().zip(frame).zip(&self.window) {
                *i = s * w;
            }
            plan.process(&mut input, &mut spectrum).map_err(|e| format!("the Fourier transform failed: {e}"))?;
            for (p, c) in power.iter_mut().zip(&spectrum) {
                // numpy keeps the transform in complex64, then takes |x|^2 in float64.
                let (re, im) = (f64::from(c.re as f32), f64::from(c.im as f32));
                *p = re.hypot(im).powi(2);
            }
            for (first, weights) in &self.filters {
                let mel: f64 = weights.iter().zip(&power[*first..]).map(|(w, p)| w * p).sum();
                out.push(10.0 * mel.max(1e-10).log10());
            }
        }
        if let Some(range) = self.top_db {
            let top = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for v in &mut out {
                *v = v.max(top - range);
            }
        }
        Ok(out.into_iter().map(|v| v as f32).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(extra: &serde_json::Value) -> ClapFeatures {
        let mut c = serde_json::json!({
            "feature_size": 8, "sampling_rate": 8000, "hop_length": 50, "max_length_s": 0.5,
            "fft_window_size": 128, "frequency_min": 50, "frequency_max": 3500, "truncation": "rand_trunc",
        });
        c.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
        ClapFeatures::from_config(&c).expect("runs")
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "copied samples and the -100 dB floor are exact")]
    fn short_clips_repeat_then_fall_silent_and_long_ones_are_cut_at_their_start() {
        let f = features(&serde_json::json!({}));
        assert_eq!(f.max_samples(), 4000);
        let fitted = f.fitted(&[1.0; 1500]);
        assert_eq!(fitted.len(), 4000);
        assert!(fitted[..3000].iter().all(|&x| x == 1.0) && fitted[3000..].iter().all(|&x| x == 0.0));
        let long: Vec<f32> = (0..5000).map(|i| i as f32).collect();
        assert_eq!(f.fitted(&long)[3999], 3999.0);
        let repeat = features(&serde_json::json!({"padding": "repeat"}));
        assert!(repeat.fitted(&[1.0; 1500]).iter().all(|&x| x == 1.0));
        let pad = features(&serde_json::json!({"padding": "pad"}));
        assert_eq!(pad.fitted(&[1.0; 1500]).iter().filter(|&&x| x == 1.0).count(), 1500);
    }

    #[test]
    #[allow(clippy::float_cmp, reason = "copied samples and the -100 dB floor are exact")]
    fn a_tone_lights_the_mel_bin_of_its_frequency() {
        let f = features(&serde_json::json!({}));
        let wave: Vec<f32> = (0..4000).map(|i| (std::f32::consts::TAU * 1000.0 * i as f32 / 8000.0).sin()).collect();
        let out = f.extract(&wave).expect("features").values;
        assert_eq!(out.len(), f.frames() * 8);
        assert_eq!(f.frames(), 81);
        // The middle frame's loudest bin holds 1 kHz: the filter whose edges enclose it.
        let frame = &out[40 * 8..41 * 8];
        let loudest = (0..8).max_by(|&a, &b| frame[a].total_cmp(&frame[b])).expect("bins");
        let edges: Vec<f64> = linspace(hertz_to_mel(50.0, false), hertz_to_mel(3500.0, false), 10)
            .into_iter()
            .map(|m| mel_to_hertz(m, false))
            .collect();
        assert!(edges[loudest] < 1000.0 && 1000.0 < edges[loudest + 2], "bin {loudest} of {edges:?}");
        // Silence is the floor: -100 dB.
        assert!(f.extract(&[0.0; 100]).expect("features").values.iter().all(|&v| v == -100.0));
        assert!(f.extract(&[]).is_err());
    }

    #[test]
    fn the_slaney_scale_is_linear_below_1_khz_and_logarithmic_above_and_both_scales_invert() {
        assert!((hertz_to_mel(600.0, false) - 9.0).abs() < 1e-12);
        assert!((hertz_to_mel(700.0, true) - 2595.0 * 2f64.log10()).abs() < 1e-9);
        for f in [10.0, 999.0, 1000.0, 5000.0, 14_000.0] {
            for htk in [false, true] {
                assert!((mel_to_hertz(hertz_to_mel(f, htk), htk) - f).abs() < 1e-9, "{f} {htk}");
            }
        }
    }

    #[test]
    fn a_fused_extractor_gives_four_channels_and_crops_a_longer_clip() {
        let f = features(&serde_json::json!({"truncation": "fusion"}));
        assert_eq!(f.channels(), 4);
        let short = f.extract(&[0.5; 1000]).expect("features");
        let one = f.frames() * 8;
        assert!(!short.longer);
        assert_eq!(short.values.len(), 4 * one);
        assert_eq!(short.values[..one], short.values[3 * one..]);
        // A clip of twice the length: shrunk, then three crops from its mel.
        let wave: Vec<f32> = (0..8000).map(|i| ((i as f32) * 0.01).sin() * (i as f32 / 8000.0)).collect();
        let long = f.extract(&wave).expect("features");
        assert!(long.longer);
        assert_eq!(long.values.len(), 4 * one);
        let mel = f.log_mel(&wave.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()).expect("mel");
        let total = mel.len() / 8;
        assert_eq!(total, 161);
        let starts = thirds_middles(total - f.frames() + 1);
        assert_eq!(starts, [13, 40, 67], "81 starts in thirds of 27");
        for (k, start) in starts.iter().enumerate() {
            assert_eq!(long.values[(k + 1) * one..(k + 2) * one], mel[start * 8..start * 8 + one]);
        }
        // Shrinking to the same rows changes nothing; halving averages neighbours.
        assert_eq!(shrink_rows(&[1.0, 2.0, 3.0, 4.0], 4, 1, 4), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(shrink_rows(&[1.0, 2.0, 3.0, 4.0], 4, 1, 2), [1.5, 3.5]);
        assert_eq!(thirds_middles(2), [0, 1, 0]);
    }

    #[test]
    fn what_verdict_does_not_run_is_refused_by_name() {
        let e = ClapFeatures::from_config(&serde_json::json!({"truncation": "middle"})).expect_err("truncation");
        assert!(e.contains("middle"), "{e}");
        let e = ClapFeatures::from_config(&serde_json::json!({"truncation": "rand_trunc", "padding": "mirror"}))
            .expect_err("padding");
        assert!(e.contains("mirror"), "{e}");
    }
}
