//! Fixtures with planted duplicates for the cleaning tests: textured images and their re-encoded,
//! resized, cropped and brightened copies; prompts and their rewordings; the committed video and
//! audio clips of `tests/fixtures/clean/` (made by `scripts/make_clean_fixtures.sh`).

use image::{Rgb, RgbImage, imageops};
use std::path::{Path, PathBuf};

/// A small deterministic generator.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 42) as f64
    }
}

/// A textured picture, different for each seed: smooth waves of colour with a few shapes on top.
pub fn picture(seed: u64, width: u32, height: u32) -> RgbImage {
    use std::f64::consts::TAU;
    let mut rng = Lcg(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995);
    let waves: Vec<(f64, f64, f64, f64)> =
        (0..4).map(|_| (rng.unit() * 6.0 + 1.0, rng.unit() * 6.0 + 1.0, rng.unit() * TAU, rng.unit())).collect();
    let tint = [rng.unit(), rng.unit(), rng.unit()];
    let mut img = RgbImage::from_fn(width, height, |px, py| {
        let (across, down) = (f64::from(px) / f64::from(width), f64::from(py) / f64::from(height));
        let sum: f64 = waves
            .iter()
            .map(|(freq_x, freq_y, phase, amp)| amp * (freq_x * across * TAU + freq_y * down * TAU + phase).sin())
            .sum();
        let base = (sum / 4.0 + 0.5).clamp(0.0, 1.0);
        let channel = |t: f64| ((base * 0.7 + t * 0.3) * 255.0) as u8;
        Rgb([channel(tint[0]), channel(tint[1] * (1.0 - across)), channel(tint[2] * down)])
    });
    let (w, h) = (width, height);
    let r = &mut rng;
    for _ in 0..5 {
        let (cx, cy) = (r.below(u64::from(w)) as i64, r.below(u64::from(h)) as i64);
        let rad = (r.below(u64::from(w / 5)) + 8) as i64;
        let colour = Rgb([r.below(256) as u8, r.below(256) as u8, r.below(256) as u8]);
        for y in (cy - rad).max(0)..(cy + rad).min(i64::from(h)) {
            for x in (cx - rad).max(0)..(cx + rad).min(i64::from(w)) {
                if (x - cx).pow(2) + (y - cy).pow(2) <= rad * rad {
                    img.put_pixel(x as u32, y as u32, colour);
                }
            }
        }
    }
    img
}

/// JPEG bytes of `img` at `quality`.
pub fn jpeg_bytes(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    enc.encode_image(img).expect("encodes");
    out
}

/// The ways a copy of a picture is changed.
pub const VARIANTS: &[&str] = &["reencoded", "resized", "cropped", "brightened"];

/// A changed copy of `img`.
pub fn variant(img: &RgbImage, how: &str) -> RgbImage {
    let (w, h) = img.dimensions();
    match how {
        "reencoded" => image::load_from_memory(&jpeg_bytes(img, 45)).expect("decodes").to_rgb8(),
        "resized" => imageops::resize(img, w * 3 / 4, h * 3 / 4, imageops::FilterType::Triangle),
        // 2 % off the left and top edges (a perceptual hash of the whole picture moves about a bit
        // per percent cut off an edge).
        "cropped" => imageops::crop_imm(img, w / 50, h / 50, w - w / 50, h - h / 50).to_image(),
        "brightened" => {
            let mut out = img.clone();
            for p in out.pixels_mut() {
                for c in &mut p.0 {
                    *c = c.saturating_add(25);
                }
            }
            out
        }
        other => panic!("no variant {other}"),
    }
}

const WORDS: &[&str] = &[
    "apple", "river", "mountain", "yellow", "engine", "quiet", "market", "window", "garden", "silver", "thunder",
    "pencil", "ocean", "basket", "violin", "planet", "forest", "candle", "bridge", "rocket", "meadow", "castle",
    "harbor", "lantern", "pepper", "saddle", "glacier", "tunnel", "velvet", "compass", "falcon", "orchard", "piano",
    "desert", "marble", "comet", "ladder", "island", "blanket", "cactus", "dragon", "feather", "helmet", "jacket",
    "kettle", "lemon", "magnet", "needle", "oyster", "parrot", "quilt", "ribbon", "shovel", "tiger", "umbrella",
    "valley", "wagon", "yacht", "zebra", "anchor", "beacon", "cobalt", "dancer", "ember", "fabric", "gravel", "hollow",
    "iron", "jungle", "kitten", "lizard", "mirror", "nickel", "olive", "pillow", "quartz", "raven", "spider", "tulip",
    "urchin", "vessel", "walnut", "yogurt", "zipper", "acorn", "bamboo", "canyon",
];

/// A prompt of `n` words for `seed`.
pub fn prompt(seed: u64, n: usize) -> Vec<String> {
    let mut r = Lcg(seed.wrapping_add(7).wrapping_mul(0x2545_f491_4f6c_dd1d));
    (0..n).map(|_| WORDS[r.below(WORDS.len() as u64) as usize].to_owned()).collect()
}

/// A rewording: one word replaced (the Jaccard similarity of the word sets stays near 0.9).
pub fn reword(words: &[String], seed: u64) -> Vec<String> {
    let mut out = words.to_vec();
    let i = (seed as usize * 7 + 3) % out.len();
    out[i] = format!("{}ish", out[i]);
    out
}

/// The committed clip `name` of `tests/fixtures/clean/`.
pub fn clip(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clean").join(name)
}

/// Pairs `(i, j)`, `i < j`, of items in the same group, by label.
pub fn same_label_pairs(labels: &[(i64, u64)]) -> std::collections::BTreeSet<(i64, i64)> {
    let mut out = std::collections::BTreeSet::new();
    for (k, (a, la)) in labels.iter().enumerate() {
        for (b, lb) in &labels[k + 1..] {
            if la == lb {
                out.insert(((*a).min(*b), (*a).max(*b)));
            }
        }
    }
    out
}

/// Precision and recall of `found` pairs against `truth`.
pub fn precision_recall(
    found: &std::collections::BTreeSet<(i64, i64)>,
    truth: &std::collections::BTreeSet<(i64, i64)>,
) -> (f64, f64) {
    let hit = found.intersection(truth).count() as f64;
    let precision = if found.is_empty() { 1.0 } else { hit / found.len() as f64 };
    let recall = if truth.is_empty() { 1.0 } else { hit / truth.len() as f64 };
    (precision, recall)
}
