//! Probing and decoding through the public `verdict::media` API, on fixtures generated here or
//! committed under `tests/fixtures/media/` (made with the `ffmpeg` CLI):
//!
//! - `testsrc_64x48_10fps.mp4`: 1 s of `testsrc` at 64x48, 10 fps, H.264 (keyframe every 5
//!   frames), with a 440 Hz AAC sine track at 8 kHz mono.
//! - `testsrc_34x22_10fps.mp4` and `testsrc_34x22_frame3.png`: a width whose RGBA rows get
//!   padded, and its frame 3 as converted by the `ffmpeg` CLI (bilinear, RGBA).
//! - `sine_22050_1s.mp3`: 1 s of 440 Hz at 22.05 kHz mono.
//! - `sine_8000_1s.flac`: 1 s of 440 Hz at 8 kHz mono, 16-bit.
//! - `sine_48000_0.5s.opus`: 0.5 s of 440 Hz, Opus in Ogg (symphonia 0.5 has no Opus decoder).
//! - `testsrc_64x48_10fps_3s_stereo.mp4`: 3 s of `testsrc` at 64x48, 10 fps, H.264, with an AAC
//!   track at 44.1 kHz, 440 Hz left and 880 Hz right:
//!   `ffmpeg -f lavfi -i testsrc=size=64x48:rate=10:duration=3 -f lavfi -i sine=f=440:r=44100:d=3
//!   -f lavfi -i sine=f=880:r=44100:d=3 -filter_complex "[1:a][2:a]amerge=inputs=2[a]" -map 0:v
//!   -map "[a]" -c:v libx264 -preset veryslow -crf 35 -g 10 -pix_fmt yuv420p -c:a aac -b:a 32k
//!   -map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -movflags +faststart`.

mod common;

use image::{ImageFormat, Rgba, RgbaImage};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use verdict::media::{self, AudioSamples, FrameDir, ImageLimits, MediaError, RgbaFrame, VideoDecoder};
use verdict::model::MediaKind;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media").join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("read fixture")
}

fn encode(image: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    if format == ImageFormat::Jpeg {
        image::DynamicImage::ImageRgba8(image.clone()).into_rgb8().write_to(&mut out, format).expect("encode jpeg");
    } else {
        image.write_to(&mut out, format).expect("encode");
    }
    out.into_inner()
}

fn solid(width: u32, height: u32, color: [u8; 4]) -> RgbaImage {
    RgbaImage::from_pixel(width, height, Rgba(color))
}

/// A canonical 16-bit PCM WAV file. `declared_frames` overrides the data chunk size.
fn wav(rate: u32, channels: u16, samples: &[i16], declared_frames: Option<u32>) -> Vec<u8> {
    common::pcm16_wav(rate, channels, samples, declared_frames)
}

/// `seconds` of a 440 Hz sine at `amplitude` (of full scale), mono.
fn sine(rate: u32, seconds: f64, amplitude: f64) -> Vec<i16> {
    let n = (f64::from(rate) * seconds).round() as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            (amplitude * 32767.0 * (2.0 * std::f64::consts::PI * 440.0 * t).sin()).round() as i16
        })
        .collect()
}

fn max_abs(samples: &AudioSamples) -> f32 {
    samples.samples.iter().fold(0.0_f32, |m, s| m.max(s.abs()))
}

// ---------------------------------------------------------------- images

#[test]
fn image_probe_reads_format_and_dimensions_from_bytes_and_files() {
    let png = encode(&solid(33, 17, [10, 20, 30, 255]), ImageFormat::Png);
    let facts = media::probe_bytes(MediaKind::Image, &png).expect("png");
    assert_eq!((facts.width, facts.height), (Some(33), Some(17)));
    assert_eq!(facts.codec.as_deref(), Some("png"));

    let jpeg = encode(&solid(48, 64, [200, 20, 30, 255]), ImageFormat::Jpeg);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("photo.jpeg");
    std::fs::write(&path, &jpeg).expect("write");
    let facts = media::probe_path(MediaKind::Image, &path).expect("jpeg");
    assert_eq!((facts.width, facts.height), (Some(48), Some(64)));
    assert_eq!(facts.codec.as_deref(), Some("jpeg"));
    assert_eq!((facts.duration_s, facts.fps, facts.sample_rate), (None, None, None));
}

#[test]
fn corrupt_images_are_errors() {
    assert!(media::probe_bytes(MediaKind::Image, b"\x89PNG\r\n\x1a\n but no chunks").is_err());
    assert!(media::probe_bytes(MediaKind::Image, &[]).is_err());
    let png = encode(&solid(40, 40, [1, 2, 3, 255]), ImageFormat::Png);
    let err = media::decode_image(&png[..png.len() - 30], &ImageLimits::default()).expect_err("truncated png");
    assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");
}

#[test]
fn thumbnail_keeps_aspect() {
    let png = encode(&solid(300, 200, [9, 9, 9, 255]), ImageFormat::Png);
    let thumb = media::thumbnail(&png, 120, &ImageLimits::default()).expect("thumb");
    assert_eq!(thumb.dimensions(), (120, 80));
    assert_eq!(thumb.get_pixel(60, 40), &Rgba([9, 9, 9, 255]));
}

// ---------------------------------------------------------------- video

#[test]
fn video_fixture_probes_to_its_encoding_parameters() {
    let facts = media::probe_path(MediaKind::Video, &fixture("testsrc_64x48_10fps.mp4")).expect("probe");
    assert_eq!((facts.width, facts.height), (Some(64), Some(48)));
    assert_eq!(facts.codec.as_deref(), Some("h264"));
    let fps = facts.fps.expect("fps");
    assert!((fps - 10.0).abs() < 1e-6, "fps {fps}");
    let duration = facts.duration_s.expect("duration");
    assert!((duration - 1.0).abs() < 0.05, "duration {duration}");
    assert_eq!(facts.frame_count, Some(10));
    assert_eq!((facts.sample_rate, facts.channels), (Some(8000), Some(1)));

    let from_bytes =
        media::probe_bytes(MediaKind::Video, &fixture_bytes("testsrc_64x48_10fps.mp4")).expect("probe bytes");
    assert_eq!(from_bytes, facts);
}

#[test]
fn decode_frame_at_returns_the_nearest_frame_as_rgba() {
    let frame = media::decode_frame_at(&fixture("testsrc_64x48_10fps.mp4"), 0.5).expect("frame");
    assert_eq!((frame.width, frame.height), (64, 48));
    assert_eq!(frame.pixels.len(), 64 * 48 * 4);
    assert!((frame.pts_s - 0.5).abs() < 0.051, "pts {}", frame.pts_s);
    assert!(frame.pixels.chunks(4).any(|p| p[..3] != [0, 0, 0]), "all black");
    assert!(frame.pixels.chunks(4).all(|p| p[3] == 255), "opaque");

    let frame = media::decode_frame_at(&fixture("testsrc_64x48_10fps.mp4"), 0.73).expect("frame");
    assert!((frame.pts_s - 0.7).abs() < 1e-3, "nearest to 0.73 is 0.7, got {}", frame.pts_s);
}

#[test]
fn padded_rows_are_copied_row_by_row() {
    let frame = media::decode_frame_at(&fixture("testsrc_34x22_10fps.mp4"), 0.3).expect("frame");
    let reference = image::open(fixture("testsrc_34x22_frame3.png")).expect("reference").into_rgba8();
    assert_eq!((frame.width, frame.height), reference.dimensions());
    let worst = frame.pixels.iter().zip(reference.as_raw()).map(|(a, b)| a.abs_diff(*b)).max().expect("pixels");
    assert!(worst <= 8, "differs from ffmpeg's own conversion by up to {worst}");
}

#[test]
fn video_decoder_seeks_both_ways_and_steps_consistently() {
    let path = fixture("testsrc_64x48_10fps.mp4");
    let mut stepped: Vec<RgbaFrame> = Vec::new();
    let mut decoder = VideoDecoder::open(&path).expect("open");
    while let Some(frame) = decoder.next_frame().expect("step") {
        stepped.push(frame);
    }
    assert_eq!(stepped.len(), 10);
    for (i, frame) in stepped.iter().enumerate() {
        assert!((frame.pts_s - i as f64 / 10.0).abs() < 1e-3, "frame {i} at {}", frame.pts_s);
    }
    assert_ne!(stepped[0].pixels, stepped[9].pixels, "testsrc moves");

    // Seek forward past a keyframe, back to the start, and into a GOP; each must match the
    // frame reached by stepping.
    for (t, index) in [(0.9, 9), (0.0, 0), (0.62, 6), (0.3, 3), (5.0, 9)] {
        let frame = decoder.frame_at(t).expect("seek");
        assert_eq!(frame.pixels, stepped[index].pixels, "frame_at({t})");
        assert!((frame.pts_s - stepped[index].pts_s).abs() < 1e-6);
    }
    // Stepping continues after a seek, also when frame_at picked the earlier of two frames.
    decoder.frame_at(0.4).expect("seek");
    let next = decoder.next_frame().expect("step").expect("a frame after 0.4");
    assert_eq!(next.pixels, stepped[5].pixels);
    decoder.frame_at(0.62).expect("seek");
    let next = decoder.next_frame().expect("step").expect("a frame after 0.6");
    assert_eq!(next.pixels, stepped[7].pixels);
    assert!((next.pts_s - 0.7).abs() < 1e-6);
}

#[test]
fn audio_track_of_a_video_decodes_with_ffmpeg() {
    let audio = media::decode_audio_track(&fixture("testsrc_64x48_10fps.mp4")).expect("audio");
    assert_eq!((audio.sample_rate, audio.channels), (8000, 1));
    let seconds = audio.duration_s();
    assert!((0.9..=1.15).contains(&seconds), "{seconds} s");
    // lavfi's sine has amplitude 1/8.
    let peak = max_abs(&audio);
    assert!((0.09..0.16).contains(&peak), "peak {peak}");
}

/// The sign changes of channel `channel` over frames `from..to`.
fn crossings(audio: &AudioSamples, channel: usize, from: usize, to: usize) -> usize {
    let channels = usize::from(audio.channels);
    let values: Vec<f32> = (from..to).map(|i| audio.samples[i * channels + channel]).collect();
    values.windows(2).filter(|w| (w[0] < 0.0) != (w[1] < 0.0)).count()
}

#[test]
fn the_whole_audio_track_of_a_video_decodes_from_a_file_and_from_bytes() {
    let name = "testsrc_64x48_10fps_3s_stereo.mp4";
    let audio = media::decode_audio_track(&fixture(name)).expect("audio");
    assert_eq!((audio.sample_rate, audio.channels), (44_100, 2));
    // All 3 s, no truncation: at most the padding of the last 1024-sample AAC frame over.
    let frames = audio.frames();
    assert!((132_300..=132_300 + 1024).contains(&frames), "{frames} frames");
    // The tones run to the end, on their own channels: 880 and 1760 sign changes a second.
    let (start, end) = (44_100 / 2, 44_100 * 29 / 10);
    let seconds = f64::from(u32::try_from(end - start).expect("small")) / 44_100.0;
    for (channel, hz) in [(0, 440.0), (1, 880.0)] {
        let per_second = crossings(&audio, channel, start, end) as f64 / seconds;
        assert!((per_second - 2.0 * hz).abs() < 2.0 * hz * 0.02, "channel {channel}: {per_second} crossings/s");
    }
    // Frames 2.7 s to 2.9 s, two samples each.
    let tail = AudioSamples { samples: audio.samples[44_100 * 27 / 10 * 2..end * 2].to_vec(), ..audio.clone() };
    assert!(max_abs(&tail) > 0.09, "the end of the track is not silent");

    let from_bytes = media::decode_audio_track_bytes(&fixture_bytes(name)).expect("from bytes");
    assert_eq!(from_bytes, audio);
    let err = media::decode_audio_track(&fixture("testsrc_34x22_10fps.mp4")).expect_err("no audio stream");
    assert!(matches!(err, MediaError::NoStream { .. }), "{err}");
}

#[test]
fn corrupt_or_wrong_video_is_an_error() {
    let bytes = fixture_bytes("testsrc_64x48_10fps.mp4");
    let dir = tempfile::tempdir().expect("tempdir");
    let truncated = dir.path().join("truncated.mp4");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    assert!(media::probe_path(MediaKind::Video, &truncated).is_err());
    assert!(media::decode_frame_at(&truncated, 0.0).is_err());

    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(&garbage, b"this is not a video at all, just some text".repeat(20)).expect("write");
    assert!(media::probe_path(MediaKind::Video, &garbage).is_err());
    assert!(media::probe_bytes(MediaKind::Video, &[0_u8; 512]).is_err());

    let err = media::probe_path(MediaKind::Video, &fixture("sine_8000_1s.flac")).expect_err("audio only");
    assert!(matches!(err, MediaError::NoStream { kind: MediaKind::Video }), "{err}");
}

// ---------------------------------------------------------------- frame directories

#[test]
fn frame_directory_is_read_in_natural_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let colors = [("f1.png", [255, 0, 0, 255]), ("f2.png", [0, 255, 0, 255]), ("f10.png", [0, 0, 255, 255])];
    for (name, color) in colors {
        std::fs::write(dir.path().join(name), encode(&solid(8, 6, color), ImageFormat::Png)).expect("write frame");
    }
    std::fs::write(dir.path().join("notes.txt"), "not a frame").expect("write");

    let facts = media::probe_path(MediaKind::Frames, dir.path()).expect("probe");
    assert_eq!(facts.frame_count, Some(3));
    assert_eq!((facts.width, facts.height), (Some(8), Some(6)));
    assert_eq!(facts.codec.as_deref(), Some("png"));
    assert_eq!(facts.fps, None);

    let frames = FrameDir::open(dir.path(), None).expect("open");
    assert_eq!(frames.len(), 3);
    assert!((frames.duration_s() - 3.0).abs() < 1e-9, "1 fps by default");
    for (i, (_, color)) in colors.iter().enumerate() {
        let frame = frames.frame(i).expect("frame");
        assert_eq!(&frame.pixels[..4], color, "frame {i}");
        assert!((frame.pts_s - i as f64).abs() < 1e-9);
    }
    assert_eq!(&frames.frame_at(2.5).expect("t=2.5").pixels[..4], &[0, 0, 255, 255]);

    let fast = FrameDir::open(dir.path(), Some(4.0)).expect("open at 4 fps");
    assert!((fast.duration_s() - 0.75).abs() < 1e-9);
    assert_eq!(&fast.frame_at(0.3).expect("t=0.3").pixels[..4], &[0, 255, 0, 255]);
}

#[test]
fn empty_frame_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("readme.md"), "no frames here").expect("write");
    let err = media::probe_path(MediaKind::Frames, dir.path()).expect_err("empty");
    assert!(matches!(err, MediaError::NoFrames { .. }), "{err}");
}

// ---------------------------------------------------------------- audio

#[test]
fn generated_wav_decodes_to_the_right_samples_and_peaks() {
    let bytes = wav(8000, 1, &sine(8000, 0.5, 0.5), None);
    let facts = media::probe_bytes(MediaKind::Audio, &bytes).expect("probe");
    assert_eq!((facts.sample_rate, facts.channels), (Some(8000), Some(1)));
    assert!((facts.duration_s.expect("duration") - 0.5).abs() < 1e-9);
    assert_eq!(facts.codec.as_deref(), Some("pcm_s16le"));

    let audio = media::decode_audio_bytes(&bytes, Some("wav")).expect("decode");
    assert_eq!((audio.sample_rate, audio.channels), (8000, 1));
    assert_eq!(audio.samples.len(), 4000);
    assert!((max_abs(&audio) - 0.5).abs() < 0.01);

    let peaks = media::waveform_peaks(&audio, 50);
    assert_eq!(peaks.len(), 50);
    for (i, (lo, hi)) in peaks.iter().enumerate() {
        // Each bucket spans 80 samples, more than four periods of 440 Hz.
        assert!((hi - 0.5).abs() < 0.02 && (lo + 0.5).abs() < 0.02, "bucket {i}: {lo}..{hi}");
    }
}

#[test]
fn stereo_wav_keeps_interleaved_channels() {
    let mut interleaved = Vec::new();
    for s in sine(8000, 0.25, 0.5) {
        interleaved.extend([s, s / 2]);
    }
    let audio = media::decode_audio_bytes(&wav(8000, 2, &interleaved, None), None).expect("decode");
    assert_eq!((audio.channels, audio.frames()), (2, 2000));
    let right_peak = audio.samples.iter().skip(1).step_by(2).fold(0.0_f32, |m, s| m.max(s.abs()));
    assert!((right_peak - 0.25).abs() < 0.01, "{right_peak}");
}

#[test]
fn mp3_and_flac_fixtures_probe_and_decode() {
    let facts = media::probe_path(MediaKind::Audio, &fixture("sine_22050_1s.mp3")).expect("mp3");
    assert_eq!((facts.sample_rate, facts.channels), (Some(22050), Some(1)));
    assert_eq!(facts.codec.as_deref(), Some("mp3"));
    let duration = facts.duration_s.expect("mp3 duration");
    assert!((duration - 1.0).abs() < 0.1, "mp3 duration {duration}");
    let audio = media::decode_audio_file(&fixture("sine_22050_1s.mp3")).expect("decode mp3");
    assert!((audio.duration_s() - 1.0).abs() < 0.1, "{}", audio.duration_s());
    assert!((0.09..0.16).contains(&max_abs(&audio)));

    let facts = media::probe_path(MediaKind::Audio, &fixture("sine_8000_1s.flac")).expect("flac");
    assert_eq!((facts.sample_rate, facts.channels), (Some(8000), Some(1)));
    assert_eq!(facts.codec.as_deref(), Some("flac"));
    assert!((facts.duration_s.expect("flac duration") - 1.0).abs() < 1e-9);
    let audio = media::decode_audio_bytes(&fixture_bytes("sine_8000_1s.flac"), Some("flac")).expect("decode flac");
    assert_eq!(audio.samples.len(), 8000);
}

#[test]
fn opus_falls_back_to_ffmpeg() {
    let path = fixture("sine_48000_0.5s.opus");
    let facts = media::probe_path(MediaKind::Audio, &path).expect("probe opus");
    assert_eq!(facts.codec.as_deref(), Some("opus"));
    assert_eq!((facts.sample_rate, facts.channels), (Some(48000), Some(1)));
    assert!((facts.duration_s.expect("duration") - 0.5).abs() < 0.05);
    let from_bytes =
        media::probe_bytes(MediaKind::Audio, &fixture_bytes("sine_48000_0.5s.opus")).expect("probe opus bytes");
    assert_eq!(from_bytes.codec.as_deref(), Some("opus"));

    let audio = media::decode_audio_file(&path).expect("decode opus");
    assert_eq!((audio.sample_rate, audio.channels), (48000, 1));
    assert!((audio.duration_s() - 0.5).abs() < 0.05, "{}", audio.duration_s());
    assert!((0.09..0.16).contains(&max_abs(&audio)), "{}", max_abs(&audio));
}

#[test]
fn corrupt_audio_is_an_error() {
    assert!(media::probe_bytes(MediaKind::Audio, b"not audio, just words").is_err());
    assert!(media::decode_audio_bytes(b"not audio, just words", Some("mp3")).is_err());

    // FLAC metadata with no audio frames after it.
    let flac = fixture_bytes("sine_8000_1s.flac");
    let err = media::decode_audio_bytes(&flac[..200], Some("flac")).expect_err("no frames");
    assert!(matches!(err, MediaError::Corrupt { .. }), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.mp3");
    std::fs::write(&garbage, [0x55_u8; 4096]).expect("write");
    assert!(media::probe_path(MediaKind::Audio, &garbage).is_err());
    assert!(media::decode_audio_file(&garbage).is_err());
}

#[test]
fn audio_declaring_hours_is_refused_before_decoding() {
    // The header claims two hours; only a moment of samples is present.
    let bytes = wav(8000, 1, &sine(8000, 0.1, 0.5), Some(8000 * 7200));
    let err = media::decode_audio_bytes(&bytes, Some("wav")).expect_err("too long");
    assert!(matches!(err, MediaError::TooLong { .. }), "{err}");
}

#[test]
fn waveform_peaks_edge_cases() {
    assert!(media::waveform_peaks(&AudioSamples::default(), 10).is_empty());
    let tiny = AudioSamples { sample_rate: 8000, channels: 1, samples: vec![0.1, -0.2, 0.3] };
    let peaks = media::waveform_peaks(&tiny, 7);
    assert_eq!(peaks.len(), 7, "exactly the requested bucket count");
    assert!(peaks.iter().all(|(lo, hi)| lo <= hi));
    assert!(media::waveform_peaks(&tiny, 0).is_empty());
    let one = media::waveform_peaks(&tiny, 1);
    assert_eq!(one, vec![(-0.2, 0.3)]);
}

#[test]
fn decoders_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<VideoDecoder>();
    assert_send::<FrameDir>();
    assert_send::<AudioSamples>();
    assert_send::<RgbaFrame>();
    assert_send::<MediaError>();
}
