//! The perceptual hash of an image, as imagededup's `PHash` computes it (the reference the
//! benchmark and the tests compare with): the RGB image resized to 32x32 with Pillow's Lanczos
//! filter, in Pillow's 8-bit fixed-point arithmetic, converted to grey with Pillow's luma weights,
//! a 2-D DCT-II (scipy's unnormalized `dct`), its top-left 8x8 coefficients compared with their
//! median (the DC term left out of the median): 64 bits, the first coefficient the highest bit,
//! so the hex form equals imagededup's string.
//!
//! A JPEG is first decoded scaled down by the decoder itself (1/2, 1/4 or 1/8 of the DCT), to the
//! smallest size that still has at least [`MIN_DECODE_SIDE`] pixels on its shorter side: most of
//! a full decode's work skipped, a hash a bit or two from the full decode's at most (tested).

use crate::media::{ImageLimits, MediaError, decode_image};
use crate::model::MediaKind;
use std::io::Cursor;

/// Hashes are compared within this many bits by default (imagededup's `max_distance_threshold`).
pub const DEFAULT_RADIUS: u32 = 10;

/// A JPEG is decoded at the smallest DCT scale whose shorter side keeps at least this many pixels.
pub const MIN_DECODE_SIDE: u32 = 64;

const SIDE: usize = 32;
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// The hash of encoded image bytes (any format the image decoder reads).
pub fn phash_bytes(bytes: &[u8], limits: &ImageLimits) -> Result<u64, MediaError> {
    if let Some(scaled) = jpeg_scaled(bytes, limits)? {
        let small = resize_lanczos_rgb_box(scaled.width, scaled.height, &scaled.rgb, scaled.extent, SIDE, SIDE);
        return Ok(hash_of_grey(&luma(&small)));
    }
    let image = decode_image(bytes, limits)?;
    let (w, h) = image.dimensions();
    // Pillow drops alpha by converting RGBA to RGB (no compositing): the colour channels as they are.
    let rgb: Vec<u8> = image.as_raw().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    Ok(phash_rgb(w as usize, h as usize, &rgb))
}

/// The hash of an RGB image, `rgb` row-major, 3 bytes a pixel.
pub fn phash_rgb(width: usize, height: usize, rgb: &[u8]) -> u64 {
    hash_of_grey(&luma(&resize_lanczos_rgb(width, height, rgb, SIDE, SIDE)))
}

/// Pillow's `convert('L')`: ITU-R 601 luma in 16-bit fixed point, rounded.
fn luma(rgb: &[u8]) -> Vec<f64> {
    rgb.chunks_exact(3)
        .map(|p| f64::from((u32::from(p[0]) * 19595 + u32::from(p[1]) * 38470 + u32::from(p[2]) * 7471 + 0x8000) >> 16))
        .collect()
}

/// The DCT, the 8x8 corner and the median.
fn hash_of_grey(grey: &[f64]) -> u64 {
    let table = cosines();
    // Only the first 8 coefficients of each axis are kept, so only those are computed: rows first
    // (scipy's axis 0 runs down the columns; the 2-D DCT is separable, so the order is free).
    let mut rows = [[0f64; 8]; SIDE];
    for (y, row) in rows.iter_mut().enumerate() {
        for (k, out) in row.iter_mut().enumerate() {
            *out = (0..SIDE).map(|x| grey[y * SIDE + x] * table[k][x]).sum::<f64>() * 2.0;
        }
    }
    let mut coef = [0f64; 64];
    for ky in 0..8 {
        for kx in 0..8 {
            coef[ky * 8 + kx] = (0..SIDE).map(|y| rows[y][kx] * table[ky][y]).sum::<f64>() * 2.0;
        }
    }
    let mut rest = coef[1..].to_vec();
    rest.sort_by(f64::total_cmp);
    let median = rest[rest.len() / 2];
    coef.iter().fold(0u64, |h, c| (h << 1) | u64::from(*c >= median))
}

/// `cos(pi * k * (2n + 1) / 64)` for k < 8, n < 32.
fn cosines() -> [[f64; SIDE]; 8] {
    let mut t = [[0f64; SIDE]; 8];
    for (k, row) in t.iter_mut().enumerate() {
        for (n, v) in row.iter_mut().enumerate() {
            *v = (std::f64::consts::PI * k as f64 * (2 * n + 1) as f64 / (2 * SIDE) as f64).cos();
        }
    }
    t
}

/// A hash as imagededup writes it: 16 hex digits.
pub fn to_hex(hash: u64) -> String {
    format!("{hash:016x}")
}

/// A JPEG decoded at a reduced scale.
struct Scaled {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
    /// The image's own size at this scale, which the decoded one rounds up (a 526 px wide image at
    /// 1/4 is 131.5 px of picture in 132 decoded): the resize reads exactly that box, so that the
    /// picture is not shifted by the padding.
    extent: (f64, f64),
}

/// A JPEG decoded by the decoder at a reduced DCT scale, as RGB; `None` when the bytes are not a
/// JPEG (or a kind the scaled path does not take: CMYK, 16-bit grey).
fn jpeg_scaled(bytes: &[u8], limits: &ImageLimits) -> Result<Option<Scaled>, MediaError> {
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(None);
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| MediaError::corrupt(MediaKind::Image, e))?;
    let Some(info) = decoder.info() else { return Ok(None) };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    limits.check(MediaKind::Image, width, height)?;
    if !matches!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::L8) {
        return Ok(None);
    }
    // The largest reduction (8, 4, 2) that keeps the shorter side at MIN_DECODE_SIDE.
    let short = width.min(height);
    let factor = [8u32, 4, 2].into_iter().find(|f| short / f >= MIN_DECODE_SIDE).unwrap_or(1);
    let to_u16 = |v: u32| u16::try_from(v.max(1)).unwrap_or(u16::MAX);
    let (w, h) = decoder
        .scale(to_u16(width.div_ceil(factor)), to_u16(height.div_ceil(factor)))
        .map_err(|e| MediaError::corrupt(MediaKind::Image, e))?;
    let pixels = decoder.decode().map_err(|e| MediaError::corrupt(MediaKind::Image, e))?;
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        _ => pixels,
    };
    let (w, h) = (usize::from(w), usize::from(h));
    if rgb.len() < w * h * 3 {
        return Err(MediaError::corrupt(MediaKind::Image, "the JPEG decoded to fewer pixels than it says"));
    }
    let extent = (f64::from(width) / f64::from(factor), f64::from(height) / f64::from(factor));
    Ok(Some(Scaled { width: w, height: h, rgb, extent }))
}

/// Pillow's Lanczos (`a = 3`) resampling of an RGB image, in its 8-bit fixed point: coefficients
/// computed per output pixel with the filter widened by the scale when shrinking, normalized and
/// rounded to `PRECISION_BITS`; horizontal pass first (over all rows), then vertical.
pub fn resize_lanczos_rgb(width: usize, height: usize, rgb: &[u8], out_w: usize, out_h: usize) -> Vec<u8> {
    resize_lanczos_rgb_box(width, height, rgb, (width as f64, height as f64), out_w, out_h)
}

/// [`resize_lanczos_rgb`] of the box `(0, 0)`-`extent` of the image (Pillow's `box` argument).
fn resize_lanczos_rgb_box(
    width: usize,
    height: usize,
    rgb: &[u8],
    extent: (f64, f64),
    out_w: usize,
    out_h: usize,
) -> Vec<u8> {
    let exact = |size: usize, e: f64| (size as f64 - e).abs() < 1e-9;
    let horizontal = if width == out_w && exact(width, extent.0) {
        rgb.to_vec()
    } else {
        let coeffs = coefficients_cached(width, extent.0, out_w);
        let (bounds, kk, ksize) = (&coeffs.0, &coeffs.1, coeffs.2);
        let mut out = vec![0u8; out_w * height * 3];
        for y in 0..height {
            let src = &rgb[y * width * 3..(y + 1) * width * 3];
            for x in 0..out_w {
                let (min, len) = bounds[x];
                let k = &kk[x * ksize..x * ksize + len];
                let mut ss = [1i64 << (PRECISION_BITS - 1); 3];
                for (i, w) in k.iter().enumerate() {
                    let p = &src[(min + i) * 3..(min + i) * 3 + 3];
                    for c in 0..3 {
                        ss[c] += i64::from(p[c]) * i64::from(*w);
                    }
                }
                for c in 0..3 {
                    out[(y * out_w + x) * 3 + c] = clip8(ss[c]);
                }
            }
        }
        out
    };
    if height == out_h && exact(height, extent.1) {
        return horizontal;
    }
    let coeffs = coefficients_cached(height, extent.1, out_h);
    let (bounds, kk, ksize) = (&coeffs.0, &coeffs.1, coeffs.2);
    let mut out = vec![0u8; out_w * out_h * 3];
    for y in 0..out_h {
        let (min, len) = bounds[y];
        let k = &kk[y * ksize..y * ksize + len];
        for x in 0..out_w {
            let mut ss = [1i64 << (PRECISION_BITS - 1); 3];
            for (i, w) in k.iter().enumerate() {
                let p = &horizontal[((min + i) * out_w + x) * 3..((min + i) * out_w + x) * 3 + 3];
                for c in 0..3 {
                    ss[c] += i64::from(p[c]) * i64::from(*w);
                }
            }
            for c in 0..3 {
                out[(y * out_w + x) * 3 + c] = clip8(ss[c]);
            }
        }
    }
    out
}

fn clip8(v: i64) -> u8 {
    if v <= 0 {
        0
    } else if v >= (255i64 + 1) << PRECISION_BITS {
        255
    } else {
        (v >> PRECISION_BITS) as u8
    }
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        let x = x * std::f64::consts::PI;
        x.sin() / x
    }
}

fn lanczos(x: f64) -> f64 {
    if (-3.0..3.0).contains(&x) { sinc(x) * sinc(x / 3.0) } else { 0.0 }
}

/// An axis's resampling: each output pixel's first input pixel and count, the weights, `ksize`.
type Coefficients = (Vec<(usize, usize)>, Vec<i32>, usize);

/// [`coefficients`], remembered per thread for each (input size, extent, output size): a folder of
/// images has a few sizes, and computing the weights (a sine per tap) was a tenth of the hash's
/// time. At most [`CACHED_SIZES`] are kept.
fn coefficients_cached(in_size: usize, extent: f64, out_size: usize) -> std::rc::Rc<Coefficients> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<(usize, u64, usize), std::rc::Rc<Coefficients>>> =
            std::cell::RefCell::default();
    }
    CACHE.with_borrow_mut(|cache| {
        if cache.len() >= CACHED_SIZES {
            cache.clear();
        }
        cache
            .entry((in_size, extent.to_bits(), out_size))
            .or_insert_with(|| std::rc::Rc::new(coefficients(in_size, extent, out_size)))
            .clone()
    })
}

/// Sizes whose weights a thread keeps.
const CACHED_SIZES: usize = 256;

/// Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc`: for each output pixel the first input
/// pixel and how many it reads, and the fixed-point weights (`ksize` a pixel).
fn coefficients(in_size: usize, extent: f64, out_size: usize) -> Coefficients {
    let scale = extent / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = 3.0 * filterscale;
    let ksize = support.ceil() as usize * 2 + 1;
    let mut bounds = Vec::with_capacity(out_size);
    let mut kk = vec![0i32; out_size * ksize];
    for xx in 0..out_size {
        let center = (xx as f64 + 0.5) * scale;
        let ss = 1.0 / filterscale;
        // Pillow truncates toward zero after adding 0.5 (a C cast), then clamps.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let len = xmax.saturating_sub(xmin);
        let mut weights: Vec<f64> = (0..len).map(|x| lanczos(((x + xmin) as f64 - center + 0.5) * ss)).collect();
        let total: f64 = weights.iter().sum();
        if total != 0.0 {
            for w in &mut weights {
                *w /= total;
            }
        }
        for (i, w) in weights.iter().enumerate() {
            let scaled = w * f64::from(1u32 << PRECISION_BITS);
            kk[xx * ksize + i] = if *w < 0.0 { (-0.5 + scaled) as i32 } else { (0.5 + scaled) as i32 };
        }
        bounds.push((xmin, len));
    }
    (bounds, kk, ksize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_sixteen_digits_first_coefficient_highest() {
        assert_eq!(to_hex(1), "0000000000000001");
        assert_eq!(to_hex(u64::MAX), "ffffffffffffffff");
    }

    #[test]
    fn a_uniform_image_resizes_to_itself() {
        let rgb = vec![77u8; 100 * 60 * 3];
        let small = resize_lanczos_rgb(100, 60, &rgb, 32, 32);
        assert!(small.iter().all(|v| *v == 77), "weights sum to one in fixed point");
    }

    /// The test images of `reference_hashes`, drawn by formula (the Python side draws the same).
    fn drawn(w: usize, h: usize, kind: u8) -> Vec<u8> {
        (0..w * h)
            .flat_map(|i| {
                let (x, y) = (i % w, i / w);
                if kind == 0 {
                    [((x * 255 / w) ^ (y * 255 / h)) as u8, (x * 255 / w) as u8, (y * 255 / h) as u8]
                } else {
                    [((x * 7 + y * 13) % 256) as u8, (((x / 9 + y / 5) % 2) * 200 + 20) as u8, ((x * y) % 251) as u8]
                }
            })
            .collect()
    }

    #[test]
    fn hashes_equal_imagededups() {
        // imagededup 0.3.3 `PHash().encode_image(image_array=...)` on the same arrays.
        for (w, h, kind, want) in [
            (240, 180, 0, "aa33ee4cbb326e48"),
            (97, 61, 1, "83097f397fa90356"),
            (32, 32, 1, "8d0f0d2f6c0f0ff2"),
            (500, 20, 0, "8a3bee4cb232ce6a"),
        ] {
            assert_eq!(to_hex(phash_rgb(w, h, &drawn(w, h, kind))), want, "{w}x{h} kind {kind}");
        }
    }

    #[test]
    fn remembered_weights_are_the_computed_ones() {
        for (size, extent, out) in [(160, 160.0, 32), (132, 131.5, 32), (40, 40.0, 32), (20, 19.25, 32)] {
            let fresh = coefficients(size, extent, out);
            assert_eq!(*coefficients_cached(size, extent, out), fresh);
            assert_eq!(*coefficients_cached(size, extent, out), fresh, "the second time, from the cache");
        }
        // Hashes through the cache are the same the second time round (a size seen before).
        let rgb = drawn(97, 61, 1);
        assert_eq!(phash_rgb(97, 61, &rgb), phash_rgb(97, 61, &rgb));
    }

    #[test]
    fn a_resized_copy_hashes_within_a_few_bits() {
        let rgb = drawn(240, 180, 0);
        let full = phash_rgb(240, 180, &rgb);
        let half = resize_lanczos_rgb(240, 180, &rgb, 120, 90);
        let smaller = phash_rgb(120, 90, &half);
        assert!((full ^ smaller).count_ones() <= 4, "{full:064b}\n{smaller:064b}");
    }
}
