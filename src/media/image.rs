//! Still images: header probes, decoding with limits, thumbnails.
//!
//! Every decode reads the header first and checks the declared dimensions against
//! [`ImageLimits`] before a single pixel buffer is allocated, then decodes with the same limits
//! handed to the `image` crate as [`::image::Limits`]. A small file declaring 100000x100000 pixels
//! is refused with [`MediaError::TooLarge`].
//!
//! Formats: JPEG, PNG, WebP, GIF (first frame) and BMP, recognized by their magic bytes, not by
//! the file extension. EXIF orientation is not applied: pixels are returned as stored.

use super::MediaError;
use crate::model::{MediaKind, ProbeFacts};
use ::image::{DynamicImage, ImageError, ImageFormat, ImageReader, RgbaImage};
use std::io::{BufRead, Cursor, Seek};
use std::path::Path;

const KIND: MediaKind = MediaKind::Image;

/// Bounds on what an image decode may allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest accepted width in pixels.
    pub max_width: u32,
    /// Largest accepted height in pixels.
    pub max_height: u32,
    /// Largest accepted decoder allocation in bytes (the RGBA output counts towards it).
    pub max_alloc_bytes: u64,
}

impl Default for ImageLimits {
    /// 16384 x 16384 pixels, 512 MiB.
    fn default() -> Self {
        Self { max_width: 16_384, max_height: 16_384, max_alloc_bytes: 512 * 1024 * 1024 }
    }
}

impl ImageLimits {
    /// Refuses declared dimensions over the limits, or whose RGBA buffer would exceed
    /// `max_alloc_bytes`.
    pub fn check(&self, kind: MediaKind, width: u32, height: u32) -> Result<(), MediaError> {
        let too_large = |limit: String| MediaError::TooLarge { kind, width, height, limit };
        if width > self.max_width || height > self.max_height {
            return Err(too_large(format!("at most {}x{} pixels", self.max_width, self.max_height)));
        }
        let rgba_bytes = u64::from(width) * u64::from(height) * 4;
        if rgba_bytes > self.max_alloc_bytes {
            return Err(too_large(format!("{rgba_bytes} bytes of RGBA exceed {} bytes", self.max_alloc_bytes)));
        }
        Ok(())
    }

    fn to_image_limits(self) -> ::image::Limits {
        let mut limits = ::image::Limits::default();
        limits.max_image_width = Some(self.max_width);
        limits.max_image_height = Some(self.max_height);
        limits.max_alloc = Some(self.max_alloc_bytes);
        limits
    }
}

/// The short lowercase name Verdict stores as the codec of an image (`jpeg`, `png`, ...).
pub fn format_name(format: ImageFormat) -> String {
    match format {
        ImageFormat::Jpeg => "jpeg".to_owned(),
        ImageFormat::Png => "png".to_owned(),
        ImageFormat::WebP => "webp".to_owned(),
        ImageFormat::Gif => "gif".to_owned(),
        ImageFormat::Bmp => "bmp".to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn map_image_error(err: ImageError, dims: Option<(u32, u32)>) -> MediaError {
    match err {
        ImageError::Unsupported(e) => MediaError::unsupported(KIND, e),
        ImageError::Limits(e) => {
            let (width, height) = dims.unwrap_or((0, 0));
            MediaError::TooLarge { kind: KIND, width, height, limit: e.to_string() }
        }
        // An I/O error from an in-memory or already-opened reader means truncated data.
        other => MediaError::corrupt(KIND, other),
    }
}

/// Guesses the format from the magic bytes (falling back to the reader's extension hint) and
/// reads the dimensions from the header only.
fn read_header<R: BufRead + Seek>(mut reader: ImageReader<R>) -> Result<(ImageFormat, u32, u32), MediaError> {
    let format = reader.format().ok_or_else(|| MediaError::unsupported(KIND, "unrecognized image format"))?;
    reader.no_limits();
    let (width, height) = reader.into_dimensions().map_err(|e| map_image_error(e, None))?;
    Ok((format, width, height))
}

fn bytes_reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>, MediaError> {
    ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| MediaError::corrupt(KIND, e))
}

fn file_reader(path: &Path) -> Result<ImageReader<std::io::BufReader<std::fs::File>>, MediaError> {
    ImageReader::open(path).and_then(ImageReader::with_guessed_format).map_err(|e| MediaError::io(path, e))
}

fn facts(format: ImageFormat, width: u32, height: u32) -> ProbeFacts {
    ProbeFacts { width: Some(width), height: Some(height), codec: Some(format_name(format)), ..ProbeFacts::default() }
}

/// Header-only probe of an encoded image: format and dimensions, no pixel decode. Dimensions
/// over the decode limits are still reported (decoding them is what gets refused).
pub(crate) fn probe_image_bytes(bytes: &[u8]) -> Result<ProbeFacts, MediaError> {
    let (format, width, height) = read_header(bytes_reader(bytes)?)?;
    Ok(facts(format, width, height))
}

/// Header-only probe of an image file.
pub(crate) fn probe_image_file(path: &Path) -> Result<ProbeFacts, MediaError> {
    let (format, width, height) = read_header(file_reader(path)?)?;
    Ok(facts(format, width, height))
}

fn decode_with<R: BufRead + Seek>(
    header: ImageReader<R>,
    mut body: ImageReader<R>,
    limits: &ImageLimits,
) -> Result<RgbaImage, MediaError> {
    let (_, width, height) = read_header(header)?;
    limits.check(KIND, width, height)?;
    body.limits(limits.to_image_limits());
    let image = body.decode().map_err(|e| map_image_error(e, Some((width, height))))?;
    Ok(image.into_rgba8())
}

/// Decodes an encoded image in full with its own channels (grey, grey and alpha, RGB, RGBA),
/// refusing anything over `limits` from its header before allocating it, and what the decoders
/// let pass: a JPEG whose data ends before its end-of-image marker (the JPEG decoder fills a
/// cut-off scan with grey and reports success; see [`super::jpeg_end`]).
pub fn decode_image_in_full(bytes: &[u8], limits: &ImageLimits) -> Result<DynamicImage, MediaError> {
    let (_, width, height) = read_header(bytes_reader(bytes)?)?;
    limits.check(KIND, width, height)?;
    if let Some(why) = super::jpeg_end::truncation(bytes) {
        return Err(MediaError::corrupt(KIND, format!("truncated JPEG: {why}")));
    }
    let mut body = bytes_reader(bytes)?;
    body.limits(limits.to_image_limits());
    body.decode().map_err(|e| map_image_error(e, Some((width, height))))
}

/// Decodes an encoded image (any supported format) to RGBA, refusing anything over `limits`
/// before allocating it.
pub fn decode_image(bytes: &[u8], limits: &ImageLimits) -> Result<RgbaImage, MediaError> {
    decode_with(bytes_reader(bytes)?, bytes_reader(bytes)?, limits)
}

/// Decodes an image file to RGBA with `limits`. The format comes from the file's magic bytes.
pub fn decode_image_file(path: &Path, limits: &ImageLimits) -> Result<RgbaImage, MediaError> {
    decode_with(file_reader(path)?, file_reader(path)?, limits)
}

/// A quick preview of a large JPEG: decoded with the decoder's DCT scaling (1/2, 1/4 or 1/8) to
/// the smallest size whose sides are at least `min_side`-fitting, which skips most of the work of a
/// full decode (a 4000x3000 photo previews at 1000x750 in a fraction of the time). `Ok(None)` when
/// the bytes are not a JPEG or are already small enough that a full decode is as cheap.
pub fn jpeg_preview(bytes: &[u8], min_side: u32, limits: &ImageLimits) -> Result<Option<RgbaImage>, MediaError> {
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(None);
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().map_err(|e| MediaError::corrupt(KIND, e))?;
    let Some(info) = decoder.info() else { return Ok(None) };
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    limits.check(KIND, width, height)?;
    if width.max(height) < min_side.saturating_mul(2) {
        return Ok(None);
    }
    let (tw, th) = thumbnail_size(width, height, min_side);
    let to_u16 = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let (w, h) = decoder.scale(to_u16(tw), to_u16(th)).map_err(|e| MediaError::corrupt(KIND, e))?;
    let pixels = decoder.decode().map_err(|e| MediaError::corrupt(KIND, e))?;
    let (w, h) = (u32::from(w), u32::from(h));
    let rgba: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l, 255]).collect(),
        // 16-bit grey and CMYK are rare in datasets: the full decoder handles them.
        jpeg_decoder::PixelFormat::L16 | jpeg_decoder::PixelFormat::CMYK32 => return Ok(None),
    };
    Ok(RgbaImage::from_raw(w, h, rgba))
}

/// The size of a thumbnail of a `width` x `height` image whose longer side is at most
/// `max_side` (aspect kept, never upscaled, never zero).
pub fn thumbnail_size(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let max_side = max_side.max(1);
    if width <= max_side && height <= max_side {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_side) / f64::from(width.max(height));
    let fit = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, max_side);
    (fit(width), fit(height))
}

/// Decodes an image and shrinks it so its longer side is at most `max_side`, keeping the aspect
/// ratio. Images already small enough are returned at their own size.
pub fn thumbnail(bytes: &[u8], max_side: u32, limits: &ImageLimits) -> Result<RgbaImage, MediaError> {
    let image = decode_image(bytes, limits)?;
    Ok(shrink(image, max_side))
}

/// Shrinks a decoded image to fit `max_side` (see [`thumbnail`]).
pub fn shrink(image: RgbaImage, max_side: u32) -> RgbaImage {
    let (width, height) = thumbnail_size(image.width(), image.height(), max_side);
    if (width, height) == image.dimensions() { image } else { ::image::imageops::thumbnail(&image, width, height) }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ::image::{ImageEncoder, Rgba};

    pub(crate) fn encode(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        if format == ImageFormat::Jpeg {
            let rgb = ::image::DynamicImage::ImageRgba8(image.clone()).into_rgb8();
            ::image::codecs::jpeg::JpegEncoder::new(&mut out)
                .write_image(&rgb, rgb.width(), rgb.height(), ::image::ExtendedColorType::Rgb8)
                .expect("encode jpeg");
        } else {
            image.write_to(&mut out, format).expect("encode image");
        }
        out.into_inner()
    }

    pub(crate) fn gradient(width: u32, height: u32) -> RgbaImage {
        RgbaImage::from_fn(width, height, |x, y| {
            Rgba([(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 128, 255])
        })
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFF_u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A valid tiny PNG whose IHDR is patched to declare `width` x `height` (CRC fixed up).
    fn png_declaring(width: u32, height: u32) -> Vec<u8> {
        let mut png = encode(&gradient(2, 2), ImageFormat::Png);
        // 8-byte signature, then the IHDR chunk: length (4), "IHDR" (4), data (13), crc (4).
        assert_eq!(&png[12..16], b"IHDR");
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        png
    }

    #[test]
    fn probes_png_and_jpeg_headers() {
        let png = encode(&gradient(37, 21), ImageFormat::Png);
        let facts = probe_image_bytes(&png).expect("png probe");
        assert_eq!((facts.width, facts.height), (Some(37), Some(21)));
        assert_eq!(facts.codec.as_deref(), Some("png"));
        assert_eq!(facts.duration_s, None);

        let jpeg = encode(&gradient(40, 30), ImageFormat::Jpeg);
        let facts = probe_image_bytes(&jpeg).expect("jpeg probe");
        assert_eq!((facts.width, facts.height), (Some(40), Some(30)));
        assert_eq!(facts.codec.as_deref(), Some("jpeg"));
    }

    #[test]
    fn probe_of_a_huge_declared_image_reports_it_without_decoding() {
        let facts = probe_image_bytes(&png_declaring(100_000, 100_000)).expect("header is valid");
        assert_eq!((facts.width, facts.height), (Some(100_000), Some(100_000)));
    }

    #[test]
    fn decodes_to_rgba_with_the_right_pixels() {
        let source = gradient(16, 8);
        let decoded = decode_image(&encode(&source, ImageFormat::Png), &ImageLimits::default()).expect("decode png");
        assert_eq!(decoded, source);
    }

    #[test]
    fn garbage_and_truncated_images_are_errors() {
        let err = probe_image_bytes(b"definitely not an image").expect_err("garbage");
        assert!(matches!(err, MediaError::Unsupported { .. }), "{err}");

        let jpeg = encode(&gradient(64, 64), ImageFormat::Jpeg);
        let err = decode_image(&jpeg[..jpeg.len() / 3], &ImageLimits::default()).expect_err("truncated jpeg");
        assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");

        let png = encode(&gradient(64, 64), ImageFormat::Png);
        let err = decode_image(&png[..60], &ImageLimits::default()).expect_err("truncated png");
        assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn decompression_bomb_is_refused_with_its_dimensions() {
        let bomb = png_declaring(100_000, 100_000);
        let err = decode_image(&bomb, &ImageLimits::default()).expect_err("bomb");
        match &err {
            MediaError::TooLarge { width, height, .. } => {
                assert_eq!((*width, *height), (100_000, 100_000));
            }
            other => panic!("expected TooLarge, got {other}"),
        }
        assert!(err.to_string().contains("100000x100000"), "{err}");
    }

    #[test]
    fn allocation_limit_is_enforced_within_dimension_limits() {
        // 16000 x 16000 RGBA is ~1 GiB: within 16384 per side but over 512 MiB.
        let err = decode_image(&png_declaring(16_000, 16_000), &ImageLimits::default())
            .expect_err("over the allocation limit");
        assert!(matches!(err, MediaError::TooLarge { .. }), "{err}");

        let tight = ImageLimits { max_width: 10, max_height: 10, max_alloc_bytes: 1 << 20 };
        let png = encode(&gradient(11, 5), ImageFormat::Png);
        assert!(matches!(decode_image(&png, &tight), Err(MediaError::TooLarge { .. })));
        let png = encode(&gradient(10, 10), ImageFormat::Png);
        assert!(decode_image(&png, &tight).is_ok());
    }

    #[test]
    fn large_jpegs_preview_at_a_reduced_scale_with_the_right_colours() {
        let big = encode(&gradient(1600, 1200), ImageFormat::Jpeg);
        let limits = ImageLimits::default();
        let preview = jpeg_preview(&big, 400, &limits).expect("decodes").expect("a preview");
        // DCT scaling gives 1/2, 1/4 or 1/8: the smallest that still covers 400 px is 1/4.
        assert_eq!(preview.dimensions(), (400, 300));
        let full = decode_image(&big, &limits).expect("full decode");
        for (x, y) in [(10, 10), (200, 150), (390, 290)] {
            let p = preview.get_pixel(x, y);
            let f = full.get_pixel(x * 4 + 2, y * 4 + 2);
            for c in 0..3 {
                assert!(p[c].abs_diff(f[c]) < 24, "pixel ({x},{y}) channel {c}: {} vs {}", p[c], f[c]);
            }
        }
        // Small JPEGs and other formats decode in full instead.
        assert!(jpeg_preview(&encode(&gradient(500, 300), ImageFormat::Jpeg), 400, &limits).expect("ok").is_none());
        assert!(jpeg_preview(&encode(&gradient(1600, 1200), ImageFormat::Png), 400, &limits).expect("ok").is_none());
    }

    #[test]
    fn thumbnail_fits_max_side_and_keeps_aspect() {
        let jpeg = encode(&gradient(400, 100), ImageFormat::Jpeg);
        let thumb = thumbnail(&jpeg, 64, &ImageLimits::default()).expect("thumbnail");
        assert_eq!(thumb.dimensions(), (64, 16));

        let png = encode(&gradient(90, 300), ImageFormat::Png);
        let thumb = thumbnail(&png, 100, &ImageLimits::default()).expect("thumbnail");
        assert_eq!(thumb.dimensions(), (30, 100));

        let small = encode(&gradient(20, 10), ImageFormat::Png);
        let thumb = thumbnail(&small, 100, &ImageLimits::default()).expect("thumbnail");
        assert_eq!(thumb.dimensions(), (20, 10), "never upscaled");

        assert_eq!(thumbnail_size(1000, 1, 10), (10, 1), "never zero");
    }

    #[test]
    fn file_decode_uses_magic_bytes_not_extension() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("actually_a_png.jpg");
        std::fs::write(&path, encode(&gradient(12, 9), ImageFormat::Png)).expect("write");
        let facts = probe_image_file(&path).expect("probe");
        assert_eq!(facts.codec.as_deref(), Some("png"));
        let image = decode_image_file(&path, &ImageLimits::default()).expect("decode");
        assert_eq!(image.dimensions(), (12, 9));
    }
}
