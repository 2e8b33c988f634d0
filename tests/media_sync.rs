//! A video plays with its sound: the picture's clock follows the sound device's, and pause, seek,
//! step and the player keys move the sound with the picture; mute reaches the device; with no
//! device the video plays silently. Playback runs on a simulated device and a hand-driven clock
//! (`TimeSource::manual`), so nothing here depends on how fast the machine is, and once on ALSA's
//! null device, which takes samples as fast as they come (its clock runs away).
//!
//! Fixture: `tests/fixtures/media/testsrc_64x48_10fps_3s_stereo.mp4`, 3 s of `testsrc` at 64x48,
//! 10 fps, H.264, with an AAC track at 44.1 kHz, 440 Hz left and 880 Hz right (made with the
//! `ffmpeg` CLI: see `tests/media_probe.rs`).

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use verdict::ui::commands::MediaKey;
use verdict::ui::media::clock::TimeSource;
use verdict::ui::media::sound::{PlayerOptions, Sound, SoundOutput};
use verdict::ui::media::video_player::{VideoPlayer, VideoSource};

const AV: &str = "testsrc_64x48_10fps_3s_stereo.mp4";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media").join(name)
}

/// Steps the harness (with short sleeps: the decoders answer between frames) until `done`, for
/// at most 10 s.
fn pump(harness: &mut Harness<'_, VideoPlayer>, done: impl Fn(&VideoPlayer) -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        harness.step();
        if done(harness.state()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

fn harness(source: VideoSource, options: &PlayerOptions) -> Harness<'static, VideoPlayer> {
    let player = VideoPlayer::with_options(source, options);
    Harness::builder().with_size(egui::vec2(420.0, 360.0)).build_ui_state(|ui, p: &mut VideoPlayer| p.ui(ui), player)
}

/// Where the sound device is now, while it plays.
fn heard(p: &VideoPlayer) -> Option<f64> {
    p.sound()?.clock()
}

fn sound_position(p: &VideoPlayer) -> f64 {
    p.sound().expect("a sound").position_s()
}

fn assert_near(what: &str, actual: f64, expected: f64, tolerance: f64) {
    assert!((actual - expected).abs() <= tolerance, "{what}: {actual} is not within {tolerance} of {expected}");
}

/// A player on `output` and a hand-driven clock, opened, its first frame shown and its sound ready.
fn ready(source: VideoSource, output: SoundOutput) -> (Harness<'static, VideoPlayer>, TimeSource) {
    let time = TimeSource::manual();
    let options = PlayerOptions { output, time: time.clone(), muted: Some(false) };
    let mut h = harness(source, &options);
    assert!(
        pump(&mut h, |p| p.shown_pts().is_some()
            && !p.is_seeking()
            && p.sound().is_some_and(|s| s.available().is_some())),
        "the video did not open: {:?}",
        h.state()
    );
    assert_eq!(h.state().error(), None);
    (h, time)
}

/// Moves the clock on by `ms` in steps of 20 ms, a frame each, checking `each` after every one.
fn play_for(h: &mut Harness<'_, VideoPlayer>, time: &TimeSource, ms: u64, mut each: impl FnMut(&VideoPlayer)) {
    for _ in 0..ms / 20 {
        time.advance(Duration::from_millis(20));
        h.step();
        each(h.state());
    }
}

#[test]
fn the_picture_follows_a_sound_device_that_runs_fast() {
    let (mut h, time) = ready(VideoSource::File(fixture(AV)), SoundOutput::Simulated { rate: 1.04 });
    assert_eq!(h.state().sound().and_then(Sound::has_track), Some(true));
    h.state_mut().key(MediaKey::PlayPause);
    assert!(pump(&mut h, |p| heard(p).is_some()), "the sound did not start: {:?}", h.state());
    assert_near("the sound starts where the picture is", heard(h.state()).unwrap_or(-1.0), 0.0, 1e-9);
    let mut elapsed = 0.0;
    play_for(&mut h, &time, 2000, |p| {
        elapsed += 0.02;
        assert!(p.is_playing());
        let sound = heard(p).expect("the sound plays");
        if elapsed > 0.5 {
            assert_near("picture against sound", p.position_s(), sound, 0.02);
        }
    });
    let p = h.state();
    assert_near("the device's clock after 2 s", heard(p).unwrap_or(-1.0), 2.08, 1e-6);
    assert!(p.position_s() > 2.06, "the picture kept its own time ({}) instead of the sound's", p.position_s());
}

#[test]
fn pause_seek_step_and_the_keys_keep_the_sound_with_the_picture() {
    let (mut h, time) = ready(VideoSource::File(fixture(AV)), SoundOutput::Simulated { rate: 1.0 });
    h.state_mut().key(MediaKey::PlayPause);
    assert!(pump(&mut h, |p| heard(p).is_some()));
    play_for(&mut h, &time, 300, |_| {});
    assert_near("playing", h.state().position_s(), 0.3, 1e-6);
    assert_near("the sound", heard(h.state()).unwrap_or(-1.0), 0.3, 1e-6);

    // Pause: both stop where they are, and stay.
    h.state_mut().key(MediaKey::PlayPause);
    assert!(!h.state().is_playing() && !h.state().sound().is_some_and(Sound::is_playing));
    play_for(&mut h, &time, 500, |_| {});
    assert_near("paused", h.state().position_s(), 0.3, 1e-6);
    assert_near("paused sound", sound_position(h.state()), 0.3, 1e-6);

    // Seek and frame steps while paused: the sound goes where the picture goes.
    h.state_mut().seek(1.5);
    assert_near("sought sound", sound_position(h.state()), 1.5, 1e-9);
    for (key, frame) in [(MediaKey::Forward, 1.6), (MediaKey::Back, 1.5), (MediaKey::Back, 1.4)] {
        h.state_mut().key(key);
        assert!(pump(&mut h, |p| !p.is_seeking()), "{key:?}: no frame");
        let p = h.state();
        assert_near("stepped frame", p.shown_pts().unwrap_or(-1.0), frame, 1e-6);
        assert_near("stepped clock", p.position_s(), frame, 1e-6);
        assert_near("stepped sound", sound_position(p), frame, 1e-6);
    }
    h.state_mut().key(MediaKey::ForwardMore);
    assert_near("a second on", h.state().position_s(), 2.4, 1e-6);
    assert_near("its sound", sound_position(h.state()), 2.4, 1e-6);

    // Play again: the sound starts at the picture's position.
    h.state_mut().key(MediaKey::PlayPause);
    assert!(pump(&mut h, |p| heard(p).is_some()));
    assert_near("restarted sound", heard(h.state()).unwrap_or(-1.0), 2.4, 1e-6);
    play_for(&mut h, &time, 200, |_| {});
    assert_near("playing on", h.state().position_s(), 2.6, 1e-6);

    // A second back while playing: both move and go on playing.
    h.state_mut().key(MediaKey::BackMore);
    assert!(h.state().is_playing());
    assert!(pump(&mut h, |p| heard(p).is_some()));
    assert_near("back a second", h.state().position_s(), 1.6, 1e-6);
    assert_near("its sound", heard(h.state()).unwrap_or(-1.0), 1.6, 1e-6);

    // Mute reaches the device, which plays on.
    h.state_mut().key(MediaKey::Mute);
    assert!(h.state().is_muted());
    assert!(pump(&mut h, |p| p.sound().is_some_and(|s| s.output_volume() == 0.0)), "the device was not muted");
    h.step();
    h.get_by_label("Unmute");
    play_for(&mut h, &time, 100, |_| {});
    assert_near("muted sound plays on", heard(h.state()).unwrap_or(-1.0), 1.7, 1e-6);
    h.state_mut().key(MediaKey::Mute);
    assert!(!h.state().is_muted());
    assert!(pump(&mut h, |p| p.sound().is_some_and(|s| (s.output_volume() - 1.0).abs() < f32::EPSILON)));
}

/// A device whose clock runs 40 times too fast (as a null device "plays" a clip at once) is not
/// followed: the picture keeps real time.
#[test]
fn a_sound_clock_that_runs_away_is_not_followed() {
    let (mut h, time) = ready(VideoSource::File(fixture(AV)), SoundOutput::Simulated { rate: 40.0 });
    h.state_mut().key(MediaKey::PlayPause);
    assert!(pump(&mut h, |p| heard(p).is_some()));
    let mut elapsed = 0.0;
    play_for(&mut h, &time, 1000, |p| {
        elapsed += 0.02;
        // Never the device's 40-fold time. (The picture may wait for a restarted sound to start,
        // as it waits for any late device, for as long as the sound thread takes on a busy machine.)
        assert!(p.position_s() <= elapsed + 0.01, "the picture followed the runaway sound: {p:?} at {elapsed}");
    });
    assert!(h.state().is_playing());
    // And it keeps playing in the time source's time once the sound is out of its way.
    let at = h.state().position_s();
    play_for(&mut h, &time, 200, |_| {});
    assert!(h.state().position_s() > at + 0.1, "the picture stalled: {:?}", h.state());
}

/// ALSA's null device: rodio plays on it without errors, and mute reaches the rodio player. The
/// device takes the samples as fast as they come (the 3 s track "plays" in a few milliseconds of
/// real time, and in none of the hand-driven clock's), so the picture must not follow it to the
/// end. How close it keeps to the hand-driven time depends on when the device thread runs: the
/// exact behaviour against runaway and stalled clocks is tested on the simulated device above.
#[test]
fn on_alsa_null_device_the_video_plays_on_and_mutes() {
    let (mut h, time) = ready(VideoSource::File(fixture(AV)), SoundOutput::Device("alsa:null".to_owned()));
    assert_eq!(h.state().sound().and_then(Sound::available), Some(true), "{:?}", h.state());
    h.state_mut().key(MediaKey::PlayPause);
    play_for(&mut h, &time, 600, |p| {
        assert!(p.is_playing(), "{p:?}");
        assert!(p.position_s() < 1.0, "the picture followed the runaway sound: {p:?}");
    });
    assert!(h.state().position_s() > 0.3, "the picture did not play: {:?}", h.state());
    h.state_mut().key(MediaKey::Mute);
    assert!(pump(&mut h, |p| p.sound().is_some_and(|s| s.output_volume() == 0.0)), "{:?}", h.state());
    h.state_mut().key(MediaKey::PlayPause);
    assert!(!h.state().is_playing());
    assert_eq!(h.state().error(), None);
    assert_eq!(h.state().sound().and_then(|s| s.error()), None);
}

#[test]
fn with_no_sound_device_the_video_plays_silently_to_its_end() {
    let options = PlayerOptions { output: SoundOutput::Silent, muted: Some(false), ..PlayerOptions::default() };
    let mut h = harness(VideoSource::File(fixture("testsrc_64x48_10fps.mp4")), &options);
    assert!(pump(&mut h, |p| p.shown_pts().is_some() && p.sound().is_some_and(|s| s.available().is_some())));
    assert_eq!(h.state().sound().and_then(Sound::has_track), Some(true));
    assert_eq!(h.state().sound().and_then(Sound::available), Some(false));
    h.step();
    h.get_by_label_contains("sound: no device");
    h.state_mut().key(MediaKey::PlayPause);
    assert!(h.state().is_playing());
    assert!(pump(&mut h, |p| !p.is_playing()), "playback did not end: {:?}", h.state());
    let p = h.state();
    assert_eq!(p.error(), None);
    assert_near("at the end", p.position_s(), 1.0, 0.05);
    assert_near("last frame", p.shown_pts().unwrap_or(-1.0), 0.9, 0.01);
}

#[test]
fn an_embedded_video_brings_its_sound_and_a_silent_one_has_none() {
    let bytes = Arc::new(std::fs::read(fixture(AV)).expect("fixture"));
    let (h, _) = ready(VideoSource::Bytes(bytes), SoundOutput::Simulated { rate: 1.0 });
    let sound = h.state().sound().expect("a sound");
    assert_eq!(sound.has_track(), Some(true));
    let clip = sound.clip().expect("decoded");
    assert_eq!((clip.sample_rate, clip.channels), (44_100, 2));
    assert_near("the whole track", clip.duration_s, 3.0, 1024.0 / 44_100.0);

    // No audio stream: no sound, no mute button, and M does nothing.
    let (mut h, _) = ready(VideoSource::File(fixture("testsrc_34x22_10fps.mp4")), SoundOutput::Simulated { rate: 1.0 });
    assert_eq!(h.state().sound().and_then(Sound::has_track), Some(false));
    h.state_mut().key(MediaKey::Mute);
    assert!(!h.state().is_muted());
    h.step();
    assert!(h.query_by_label("Mute").is_none() && h.query_by_label("Unmute").is_none());
}
