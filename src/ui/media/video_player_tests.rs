//! Tests of the video player: open, seek, step, play to the end, frame directories, errors.

use super::*;
use crate::ui::media::sound::SoundOutput;
use crate::ui::media::test_util::pump;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media").join(name)
}

/// A player on no sound device (nothing sounds while the tests run).
fn harness(source: VideoSource) -> Harness<'static, VideoPlayer> {
    let options = PlayerOptions { output: SoundOutput::Silent, muted: Some(false), ..PlayerOptions::default() };
    let player = VideoPlayer::with_options(source, &options);
    Harness::builder()
        .with_size(egui::vec2(400.0, 400.0))
        .build_ui_state(|ui, player: &mut VideoPlayer| player.ui(ui), player)
}

fn settled(player: &VideoPlayer) -> bool {
    player.info.is_some() && player.shown_pts.is_some() && !player.awaiting_seek && player.upload.is_none()
}

fn assert_near(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.expect("a value");
    assert!((actual - expected).abs() <= tolerance, "{actual} is not within {tolerance} of {expected}");
}

#[test]
fn format_time_is_minutes_seconds_tenths() {
    assert_eq!(format_time(0.0), "0:00.0");
    assert_eq!(format_time(3.24), "0:03.2");
    assert_eq!(format_time(59.96), "1:00.0");
    assert_eq!(format_time(754.5), "12:34.5");
    assert_eq!(format_time(f64::NAN), "0:00.0");
    assert_eq!(format_time(-1.0), "0:00.0");
}

#[test]
fn file_opens_seeks_and_steps_by_one_frame() {
    let mut harness = harness(VideoSource::File(fixture("testsrc_64x48_10fps.mp4")));
    assert!(pump(&mut harness, settled), "video did not open: {:?}", harness.state());
    let player = harness.state();
    assert_eq!(player.error(), None);
    assert_near(player.duration_s(), 1.0, 0.05);
    assert_near(player.shown_pts(), 0.0, 0.05);
    assert!(player.texture.as_ref().is_some_and(|t| t.size() == [64, 48]));
    harness.get_by_label_contains("64×48");
    harness.get_by_label_contains("h264");

    harness.state_mut().seek(0.5);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), 0.5, 0.1 + 1e-6);
    let before = harness.state().shown_pts().expect("a frame");
    harness.get_by_label_contains("0:00.5 / 0:01.0");

    harness.state_mut().step(1);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), before + 0.1, 0.01);
    harness.state_mut().step(-2);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), before - 0.1, 0.01);
    assert!(!harness.state().is_playing());
}

#[test]
fn seeks_that_pile_up_end_at_the_newest() {
    let mut harness = harness(VideoSource::File(fixture("testsrc_64x48_10fps.mp4")));
    assert!(pump(&mut harness, settled));
    for t in [0.1, 0.9, 0.2, 0.7] {
        harness.state_mut().seek(t);
    }
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), 0.7, 0.1 + 1e-6);
}

#[test]
fn bytes_source_plays_to_the_end_and_stops() {
    let bytes = std::fs::read(fixture("testsrc_34x22_10fps.mp4")).expect("fixture");
    let mut harness = harness(VideoSource::Bytes(Arc::new(bytes)));
    assert!(pump(&mut harness, settled), "{:?}", harness.state());
    harness.state_mut().toggle_play();
    assert!(harness.state().is_playing());
    harness.step();
    harness.get_by_label("‖ Pause");
    assert!(pump(&mut harness, |p| !p.is_playing()), "playback did not stop: {:?}", harness.state());
    let player = harness.state();
    assert_eq!(player.error(), None);
    assert_near(player.shown_pts(), 0.9, 0.01);
    assert_near(Some(player.position_s()), 1.0, 0.05);

    // Play at the end starts over.
    harness.state_mut().toggle_play();
    assert!(pump(&mut harness, |p| p.shown_pts().is_some_and(|t| t < 0.5)));
    harness.state_mut().toggle_play();
    assert!(!harness.state().is_playing());
}

#[test]
fn frame_directory_steps_by_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, shade) in [0u8, 120, 240].into_iter().enumerate() {
        let image = image::RgbaImage::from_pixel(8, 6, image::Rgba([shade, 0, 0, 255]));
        image.save(dir.path().join(format!("frame_{i}.png"))).expect("write png");
    }
    let mut harness = harness(VideoSource::Frames { dir: dir.path().to_path_buf(), fps: Some(10.0) });
    assert!(pump(&mut harness, settled), "{:?}", harness.state());
    assert_near(harness.state().duration_s(), 0.3, 1e-9);
    harness.get_by_label_contains("png frames");

    harness.state_mut().step(1);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), 0.1, 1e-9);
    harness.state_mut().step(1);
    harness.state_mut().step(1);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), 0.2, 1e-9);
    harness.state_mut().seek(0.0);
    assert!(pump(&mut harness, settled));
    assert_near(harness.state().shown_pts(), 0.0, 1e-9);
}

#[test]
fn corrupt_video_shows_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("broken.mp4");
    let mut bytes = b"\x00\x00\x00\x18ftypmp42".to_vec();
    bytes.extend(std::iter::repeat_n(0x5a, 4096));
    std::fs::write(&path, bytes).expect("write");
    let mut harness = harness(VideoSource::File(path));
    assert!(pump(&mut harness, |p| p.error().is_some()), "no error: {:?}", harness.state());
    harness.step();
    assert!(harness.query_by_label_contains("Video error").is_some());
    assert!(harness.state().shown_pts().is_none());
}

#[test]
fn dropping_a_player_does_not_block() {
    let player = VideoPlayer::new(VideoSource::File(fixture("testsrc_64x48_10fps.mp4")));
    let start = Instant::now();
    drop(player);
    assert!(start.elapsed() < Duration::from_millis(100));
}
