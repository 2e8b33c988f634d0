//! Whether a JPEG's data reaches its end: the segments walked from the start-of-image marker to
//! the end-of-image marker (`FF D9`), over every scan's entropy-coded data.
//!
//! Needed because zune-jpeg, the image crate's JPEG decoder, decodes a file cut off inside its scan
//! without an error: the missing blocks are filled with grey (it logs "Premature end of buffer"
//! and returns the image). A file that ends before its end-of-image marker was cut short.

/// Why a JPEG's bytes end before its end-of-image marker; `None` when they reach it (or are not
/// a JPEG). Bytes after the marker are ignored, as decoders ignore them.
pub fn truncation(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let len = bytes.len();
    let mut i = 2;
    loop {
        // Decoders skip stray bytes before a marker; so does this walk.
        while i < len && bytes[i] != 0xFF {
            i += 1;
        }
        // Fill bytes: any number of FF before the marker's code.
        while i + 1 < len && bytes[i + 1] == 0xFF {
            i += 1;
        }
        if i + 1 >= len {
            return Some(format!(
                "the data ends after {len} bytes, before the end-of-image marker (FF D9): the file was cut short"
            ));
        }
        let code = bytes[i + 1];
        match code {
            0xD9 => return None,
            // Markers without a length: start of image, restart markers, TEM.
            0xD8 | 0xD0..=0xD7 | 0x01 => i += 2,
            _ => {
                if i + 4 > len {
                    return Some(format!("the data ends inside a segment header at byte {i}: the file was cut short"));
                }
                let segment = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
                let end = i + 2 + segment;
                if end > len {
                    return Some(format!(
                        "a segment at byte {i} needs {segment} bytes, the data ends after {}: the file was cut short",
                        len - i - 2
                    ));
                }
                i = end;
                if code == 0xDA {
                    // Entropy-coded data runs to the next marker that is neither a stuffed byte
                    // (FF 00) nor a restart marker (FF D0-D7).
                    loop {
                        while i < len && bytes[i] != 0xFF {
                            i += 1;
                        }
                        if i + 1 >= len {
                            return Some(format!(
                                "the data ends inside a scan after {len} bytes, before the end-of-image marker \
                                 (FF D9): the file was cut short (decoders fill the missing part with grey)"
                            ));
                        }
                        match bytes[i + 1] {
                            0x00 | 0xD0..=0xD7 | 0xFF => i += 1,
                            _ => break,
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg() -> Vec<u8> {
        let img =
            ::image::RgbImage::from_fn(200, 150, |x, y| ::image::Rgb([(x * 4) as u8, (y * 5) as u8, (x ^ y) as u8]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ::image::ImageFormat::Jpeg).expect("encodes");
        out.into_inner()
    }

    #[test]
    fn a_whole_jpeg_reaches_its_end_marker_even_with_bytes_after_it() {
        let mut bytes = jpeg();
        assert_eq!(truncation(&bytes), None);
        bytes.extend_from_slice(b"trailing bytes some cameras write");
        assert_eq!(truncation(&bytes), None);
        assert_eq!(truncation(b"\x89PNG not a jpeg"), None);
    }

    #[test]
    fn a_jpeg_cut_anywhere_is_truncated() {
        let bytes = jpeg();
        for cut in [3, 10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 20, bytes.len() - 2, bytes.len() - 1] {
            let why = truncation(&bytes[..cut]).unwrap_or_else(|| panic!("cut at {cut} of {}", bytes.len()));
            assert!(why.contains("cut short"), "{why}");
        }
        let scan = truncation(&bytes[..bytes.len() / 2]).expect("cut in the scan");
        assert!(scan.contains("inside a scan"), "{scan}");
    }

    #[test]
    fn the_image_crate_pads_a_cut_scan_which_is_why_this_walk_exists() {
        let bytes = jpeg();
        let cut = &bytes[..bytes.len() * 2 / 3];
        // If this starts failing, the decoder reports truncation itself; the walk stays correct.
        let decoded = super::super::decode_image(cut, &super::super::ImageLimits::default());
        assert!(decoded.is_ok(), "zune-jpeg pads a truncated scan: {:?}", decoded.err());
        assert!(truncation(cut).is_some());
    }
}
