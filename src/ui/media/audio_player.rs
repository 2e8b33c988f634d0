//! An audio player for the sample view: a waveform with a moving position line, click/drag to
//! seek, play/pause and mute, through the sound device (see [`super::sound`]).
//!
//! Nothing here blocks the UI thread: the clip is decoded, its [`PEAK_BUCKETS`] waveform peaks
//! computed and the device opened on the [`Sound`]'s threads. With no sound device (a headless
//! machine, a CI runner) the clip plays silently, as a video does: the position runs on a
//! [`PlaybackClock`] from the player's time source and the waveform's line moves with it, and a
//! quiet notice says that nothing is heard.

use super::clock::{PlaybackClock, TimeSource};
pub use super::sound::{AudioSource, NO_DEVICE_NOTICE};
use super::sound::{PlayerOptions, Sound};
use super::video_player::format_time;
use super::{AUDIO_BIG_STEP_S, AUDIO_STEP_S};
use crate::ui::commands::MediaKey;
use std::time::Duration;

/// How many min/max pairs the waveform is computed with.
pub const PEAK_BUCKETS: usize = 800;
/// Height of the waveform in points.
const WAVEFORM_HEIGHT: f32 = 80.0;

/// An audio player widget: waveform, position line, play/pause, mute and time.
///
/// Create one per shown clip with [`AudioPlayer::new`] and call [`AudioPlayer::ui`] every
/// frame; dropping it stops playback and its threads.
#[derive(Debug)]
pub struct AudioPlayer {
    sound: Sound,
    /// The time the silent clock runs on (the options').
    time: TimeSource,
    /// The position while the clip plays with no sound device (silently).
    silent: PlaybackClock,
    /// The waveform's rectangle in the last frame (for tests that click on it).
    waveform_rect: Option<egui::Rect>,
}

impl AudioPlayer {
    /// Starts decoding the clip and opening the app's sound device (see [`Sound::new`]).
    /// Returns at once.
    pub fn new(source: AudioSource) -> Self {
        Self::with_options(source, &PlayerOptions::default())
    }

    /// Like [`AudioPlayer::new`], on the device and time source of `options`.
    pub fn with_options(source: AudioSource, options: &PlayerOptions) -> Self {
        Self {
            sound: Sound::new(source, PEAK_BUCKETS, options),
            time: options.time.clone(),
            silent: PlaybackClock::default(),
            waveform_rect: None,
        }
    }

    /// Draws the waveform (min/max bars filling the available width, ~80 px tall) with the
    /// playback position as a vertical line (click or drag on it to seek), then play/pause,
    /// mute, the time and the sample rate and channels as weak text. With no sound device, a
    /// quiet notice (it plays silently). While loading: a spinner. An error: red inline text.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.sound.poll(ui.ctx());
        self.end_silent_at_the_end();

        if let Some(error) = self.sound.error() {
            ui.colored_label(ui.visuals().error_fg_color, format!("Audio error: {error}"));
        }
        let Some(clip) = self.sound.clip().cloned() else {
            if self.sound.error().is_none() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Loading audio…");
                });
            }
            return;
        };
        self.waveform_ui(ui, &clip);
        self.controls_ui(ui, &clip);

        if self.is_playing() {
            ui.ctx().request_repaint_after(Duration::from_millis(33));
        } else if self.sound.is_busy() {
            // The output thread wakes us when the device is open; this is only a fallback.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    /// Plays from the current position (from the start when at the end), or pauses. With no
    /// sound device it plays silently on its own clock. Does nothing while loading, while the
    /// device is being opened, or when the clip could not be decoded.
    pub fn toggle_play(&mut self) {
        self.end_silent_at_the_end();
        if self.sound.is_playing() {
            self.sound.pause();
            return;
        }
        if self.silent.is_running() {
            let now = self.time.now();
            self.silent.stop(now);
            self.sound.seek(self.silent.at(now));
            return;
        }
        let Some(duration) = self.sound.duration_s() else { return };
        let mut from = self.sound.position_s();
        if from >= duration - 1e-3 {
            from = 0.0;
        }
        match self.sound.available() {
            Some(true) => {
                self.sound.play(from);
            }
            // No device (a decoded clip, so a track): silently, as a video plays.
            Some(false) if self.sound.has_track() == Some(true) => {
                let now = self.time.now();
                self.sound.seek(from);
                self.silent.set(from, now);
                self.silent.start(now);
            }
            _ => {}
        }
    }

    /// Moves playback to `t_seconds` (clamped to the clip); keeps playing if it was.
    pub fn seek(&mut self, t_seconds: f64) {
        self.sound.seek(t_seconds);
        if self.silent.is_running() {
            self.silent.set(self.sound.position_s(), self.time.now());
        }
    }

    /// Stops the silent clock at the clip's end (as the device's end stops playback).
    fn end_silent_at_the_end(&mut self) {
        if let Some(duration) = self.sound.duration_s()
            && self.silent.is_running()
        {
            let now = self.time.now();
            if self.silent.at(now) >= duration {
                self.silent.stop(now);
                self.silent.set(duration, now);
                self.sound.seek(duration);
            }
        }
    }

    /// Mutes or unmutes (nothing while loading or when the clip could not be decoded).
    pub fn toggle_mute(&mut self) {
        if self.sound.has_track() == Some(true) {
            self.sound.set_muted(!self.sound.is_muted());
        }
    }

    /// Carries out a player key: space plays or pauses, ← / → move [`AUDIO_STEP_S`], with Shift
    /// [`AUDIO_BIG_STEP_S`], M mutes.
    pub fn key(&mut self, key: MediaKey) {
        let at = self.position_s();
        match key {
            MediaKey::PlayPause => self.toggle_play(),
            MediaKey::Back => self.seek(at - AUDIO_STEP_S),
            MediaKey::Forward => self.seek(at + AUDIO_STEP_S),
            MediaKey::BackMore => self.seek(at - AUDIO_BIG_STEP_S),
            MediaKey::ForwardMore => self.seek(at + AUDIO_BIG_STEP_S),
            MediaKey::Mute => self.toggle_mute(),
        }
    }

    /// Whether the waveform is available (the clip is decoded).
    pub fn is_ready(&self) -> bool {
        self.sound.clip().is_some()
    }

    /// Whether a sound device was opened: `None` until known (while loading).
    pub fn playback_available(&self) -> Option<bool> {
        if self.sound.error().is_some() {
            return None;
        }
        self.sound.available()
    }

    /// Whether the clip is playing (on the device, or silently without one).
    pub fn is_playing(&self) -> bool {
        self.sound.is_playing() || self.silent.is_running()
    }

    /// Whether it is muted.
    pub fn is_muted(&self) -> bool {
        self.sound.is_muted()
    }

    /// The waveform peaks (min, max per bucket), once loaded.
    pub fn peaks(&self) -> Option<&[(f32, f32)]> {
        self.sound.clip().map(|c| c.peaks.as_slice())
    }

    /// The clip's length in seconds, once loaded.
    pub fn duration_s(&self) -> Option<f64> {
        self.sound.duration_s()
    }

    /// The playback position in seconds (from the device while playing, from the silent clock
    /// while playing without one).
    pub fn position_s(&self) -> f64 {
        if self.silent.is_running() {
            let t = self.silent.at(self.time.now());
            return self.sound.duration_s().map_or(t, |d| t.min(d));
        }
        self.sound.position_s()
    }

    /// The error, if the clip could not be decoded.
    pub fn error(&self) -> Option<&str> {
        self.sound.error()
    }

    /// The player's sound (its device state and clock).
    pub fn sound(&self) -> &Sound {
        &self.sound
    }

    fn waveform_ui(&mut self, ui: &mut egui::Ui, clip: &super::sound::Clip) {
        let width = ui.available_width().max(32.0);
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(width, WAVEFORM_HEIGHT), egui::Sense::click_and_drag());
        self.waveform_rect = Some(rect);
        if (response.clicked() || response.dragged())
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let fraction = f64::from(((pointer.x - rect.left()) / rect.width()).clamp(0.0, 1.0));
            self.seek(fraction * clip.duration_s);
        }
        let position = self.position_s();
        let response = response.on_hover_cursor(egui::CursorIcon::PointingHand);
        response.widget_info(|| egui::WidgetInfo {
            value: Some(position),
            ..egui::WidgetInfo::labeled(egui::Role::Slider, true, "Waveform: click or drag to seek")
        });

        let painter = ui.painter_at(rect);
        let visuals = ui.visuals();
        painter.rect_filled(rect, 2.0, visuals.extreme_bg_color);
        let mid = rect.center().y;
        let half = rect.height() / 2.0 - 2.0;
        let fraction =
            if clip.duration_s > 0.0 { (self.position_s() / clip.duration_s).clamp(0.0, 1.0) as f32 } else { 0.0 };
        let played_x = rect.left() + fraction * rect.width();
        let played = visuals.selection.stroke.color;
        let unplayed = visuals.weak_text_color();
        let columns = (rect.width().floor() as usize).max(1);
        let peaks = &clip.peaks;
        if !peaks.is_empty() {
            for column in 0..columns {
                let start = column * peaks.len() / columns;
                let end = ((column + 1) * peaks.len() / columns).clamp(start + 1, peaks.len());
                let (lo, hi) = peaks[start..end]
                    .iter()
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(a, b)| (lo.min(a), hi.max(b)));
                let x = rect.left() + column as f32 + 0.5;
                let top = mid - hi.clamp(-1.0, 1.0) * half;
                let bottom = (mid - lo.clamp(-1.0, 1.0) * half).max(top + 1.0);
                let color = if x <= played_x { played } else { unplayed };
                painter.vline(x, top..=bottom, egui::Stroke::new(1.0, color));
            }
        }
        painter.vline(played_x, rect.y_range(), egui::Stroke::new(1.5, visuals.strong_text_color()));
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, clip: &super::sound::Clip) {
        // Wrapped: in a narrow column (candidates' clips side by side) the time and the rate go to
        // the next row instead of running into the neighbour.
        ui.horizontal_wrapped(|ui| {
            let label = if self.is_playing() { "‖ Pause" } else { "▶ Play" };
            // With no device it plays silently: enabled once the clip is decoded.
            let enabled = match self.sound.available() {
                Some(true) => true,
                Some(false) => self.sound.has_track() == Some(true),
                None => false,
            };
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new(label).monospace()))
                .on_hover_text("Play / pause (Space)")
                .clicked()
            {
                self.toggle_play();
            }
            if ui
                .add_enabled(
                    self.sound.has_track() == Some(true),
                    egui::Button::new(super::mute_label(self.is_muted())),
                )
                .on_hover_text("Mute / unmute (M)")
                .clicked()
            {
                self.toggle_mute();
            }
            let time = format!("{} / {}", format_time(self.position_s()), format_time(clip.duration_s));
            ui.add(egui::Label::new(egui::RichText::new(time).monospace()).wrap_mode(egui::TextWrapMode::Extend));
            let channels = match clip.channels {
                1 => "mono".to_owned(),
                2 => "stereo".to_owned(),
                n => format!("{n} ch"),
            };
            let rate = egui::RichText::new(format!("{} Hz · {channels}", clip.sample_rate)).small().weak();
            ui.add(egui::Label::new(rate).wrap_mode(egui::TextWrapMode::Extend));
        });
        match self.sound.available() {
            Some(false) => {
                ui.weak(NO_DEVICE_NOTICE);
            }
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Opening sound device…");
                });
            }
            Some(true) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::media::clock::TimeSource;
    use crate::ui::media::sound::SoundOutput;
    use crate::ui::media::test_util::pump;
    use egui_kittest::Harness;
    use egui_kittest::kittest::{NodeT, Queryable};
    use std::path::Path;
    use std::sync::Arc;

    /// A mono 16-bit PCM WAV with a 440 Hz sine of `frames` frames at `rate` Hz.
    fn sine_wav(rate: u32, frames: u32) -> Vec<u8> {
        let data_len = frames * 2;
        let mut wav = Vec::with_capacity(44 + data_len as usize);
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data_len).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
        wav.extend_from_slice(&1u16.to_le_bytes()); // mono
        wav.extend_from_slice(&rate.to_le_bytes());
        wav.extend_from_slice(&(rate * 2).to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&data_len.to_le_bytes());
        for i in 0..frames {
            let t = f64::from(i) / f64::from(rate);
            let v = (0.5 * (2.0 * std::f64::consts::PI * 440.0 * t).sin() * f64::from(i16::MAX)) as i16;
            wav.extend_from_slice(&v.to_le_bytes());
        }
        wav
    }

    /// A player on no device (nothing sounds while the tests run).
    fn harness(source: AudioSource) -> Harness<'static, AudioPlayer> {
        let options = PlayerOptions { output: SoundOutput::Silent, muted: Some(false), ..PlayerOptions::default() };
        harness_with(source, &options)
    }

    fn harness_with(source: AudioSource, options: &PlayerOptions) -> Harness<'static, AudioPlayer> {
        let player = AudioPlayer::with_options(source, options);
        Harness::builder()
            .with_size(egui::vec2(500.0, 300.0))
            .build_ui_state(|ui, player: &mut AudioPlayer| player.ui(ui), player)
    }

    fn assert_near(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-6, "{actual} is not {expected}");
    }

    fn assert_ready(harness: &mut Harness<'_, AudioPlayer>, seconds: f64) {
        assert!(
            pump(harness, |p| p.is_ready() && p.playback_available().is_some()),
            "not loaded: {:?}",
            harness.state()
        );
        let player = harness.state();
        assert_eq!(player.error(), None);
        let peaks = player.peaks().expect("peaks");
        assert_eq!(peaks.len(), PEAK_BUCKETS);
        assert!(peaks.iter().any(|&(lo, hi)| lo < -0.3 && hi > 0.3), "a loud sine has wide peaks");
        let duration = player.duration_s().expect("duration");
        assert!((duration - seconds).abs() <= seconds * 0.01, "duration {duration}, expected {seconds}");
    }

    #[test]
    fn wav_file_shows_waveform_and_the_device_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sine.wav");
        std::fs::write(&path, sine_wav(8000, 12_000)).expect("write");
        // The app's device: none on most test machines.
        let mut harness = harness_with(AudioSource::File(path), &PlayerOptions::default());
        assert_ready(&mut harness, 1.5);
        harness.step();
        harness.get_by_label_contains("8000 Hz · mono");
        harness.get_by_label_contains("0:00.0 / 0:01.5");
        match harness.state().playback_available() {
            // The usual case on test machines: no sound card.
            Some(false) => {
                assert!(harness.query_by_label_contains(NO_DEVICE_NOTICE).is_some());
                harness.state_mut().toggle_play();
                assert!(harness.state().is_playing(), "no device: it plays silently");
                harness.state_mut().toggle_play();
                assert!(!harness.state().is_playing());
            }
            Some(true) => assert!(harness.query_by_label_contains(NO_DEVICE_NOTICE).is_none()),
            None => unreachable!("waited for it"),
        }
    }

    #[test]
    fn bytes_source_seeks_by_call_and_by_click() {
        let bytes = Arc::new(sine_wav(16_000, 8_000));
        let mut harness = harness(AudioSource::Bytes { bytes, ext: Some("wav".to_owned()) });
        assert_ready(&mut harness, 0.5);
        harness.state_mut().seek(0.25);
        assert!((harness.state().position_s() - 0.25).abs() < 1e-9);
        harness.state_mut().seek(9.0);
        assert!((harness.state().position_s() - 0.5).abs() < 1e-9, "seek clamps to the clip");

        harness.step();
        let rect = harness.state().waveform_rect.expect("waveform drawn");
        let pos = egui::pos2(rect.left() + rect.width() * 0.25, rect.center().y);
        harness.hover_at(pos);
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
        let t = harness.state().position_s();
        assert!((t - 0.125).abs() < 0.01, "clicked a quarter in, position {t}");
    }

    #[test]
    fn audio_track_of_a_video() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4");
        let mut harness = harness(AudioSource::VideoTrack(path));
        assert!(pump(&mut harness, |p| p.is_ready() || p.error().is_some()), "{:?}", harness.state());
        let player = harness.state();
        assert_eq!(player.error(), None);
        assert!(player.peaks().is_some_and(|p| p.len() == PEAK_BUCKETS));
        let duration = player.duration_s().expect("duration");
        assert!((duration - 1.0).abs() < 0.05, "duration {duration}");
    }

    #[test]
    fn undecodable_audio_shows_an_error() {
        let bytes = Arc::new(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk".to_vec());
        let mut harness = harness(AudioSource::Bytes { bytes, ext: Some("wav".to_owned()) });
        assert!(pump(&mut harness, |p| p.error().is_some()), "no error: {:?}", harness.state());
        harness.step();
        assert!(harness.query_by_label_contains("Audio error").is_some());
        assert!(!harness.state().is_ready());
        assert_eq!(harness.state().playback_available(), None);
    }

    #[test]
    fn keys_move_one_and_five_seconds_within_the_clip() {
        let bytes = Arc::new(sine_wav(8000, 96_000));
        // A time source that stands still: playing (silently, no device) does not move the position.
        let options = PlayerOptions { output: SoundOutput::Silent, time: TimeSource::manual(), muted: Some(false) };
        let mut harness = harness_with(AudioSource::Bytes { bytes, ext: Some("wav".to_owned()) }, &options);
        assert_ready(&mut harness, 12.0);
        let mut expect = |key: MediaKey, t: f64| {
            harness.state_mut().key(key);
            assert_near(harness.state().position_s(), t);
        };
        expect(MediaKey::Forward, 1.0);
        expect(MediaKey::ForwardMore, 6.0);
        expect(MediaKey::ForwardMore, 11.0);
        expect(MediaKey::ForwardMore, 12.0);
        // Play at the end starts again from the beginning.
        expect(MediaKey::PlayPause, 0.0);
        expect(MediaKey::PlayPause, 0.0);
        expect(MediaKey::ForwardMore, 5.0);
        expect(MediaKey::Forward, 6.0);
        expect(MediaKey::ForwardMore, 11.0);
        expect(MediaKey::Back, 10.0);
        expect(MediaKey::Forward, 11.0);
        expect(MediaKey::BackMore, 6.0);
        expect(MediaKey::BackMore, 1.0);
        expect(MediaKey::Back, 0.0);
        expect(MediaKey::Back, 0.0);
        assert!(!harness.state().is_playing());
        harness.state_mut().key(MediaKey::Mute);
        assert!(harness.state().is_muted(), "mute is a choice even without a device");
        harness.state_mut().key(MediaKey::Mute);
        assert!(!harness.state().is_muted());
    }

    /// The waveform's line as drawn (its accessible value: the position it was drawn at).
    fn drawn_position(harness: &mut Harness<'_, AudioPlayer>) -> f64 {
        harness.step();
        harness.get_by_label("Waveform: click or drag to seek").accesskit_node().numeric_value().expect("a value")
    }

    /// No sound device (a headless machine): the clip plays silently as a video does, its
    /// position and the waveform's line moving with the time; pause, a key while playing and the
    /// end behave as on a device.
    #[test]
    fn without_a_device_the_clip_plays_silently_and_the_line_moves() {
        let time = TimeSource::manual();
        let options = PlayerOptions { output: SoundOutput::Silent, time: time.clone(), muted: Some(false) };
        let bytes = Arc::new(sine_wav(8000, 16_000));
        let mut harness = harness_with(AudioSource::Bytes { bytes, ext: Some("wav".to_owned()) }, &options);
        assert_ready(&mut harness, 2.0);
        assert_eq!(harness.state().playback_available(), Some(false), "no device");
        harness.step();
        harness.get_by_label_contains(NO_DEVICE_NOTICE);
        assert!(!harness.get_by_label("▶ Play").accesskit_node().is_disabled(), "Play is offered without a device");

        harness.state_mut().key(MediaKey::PlayPause);
        assert!(harness.state().is_playing(), "Space plays without a device");
        time.advance(Duration::from_millis(500));
        assert_near(harness.state().position_s(), 0.5);
        assert_near(drawn_position(&mut harness), 0.5);
        harness.get_by_label_contains("0:00.5 / 0:02.0");
        time.advance(Duration::from_millis(250));
        assert_near(drawn_position(&mut harness), 0.75);

        // A key while playing moves it and it plays on from there.
        harness.state_mut().key(MediaKey::Forward);
        assert!(harness.state().is_playing());
        time.advance(Duration::from_millis(100));
        assert_near(drawn_position(&mut harness), 1.85);

        // Paused, it stays.
        harness.state_mut().key(MediaKey::PlayPause);
        assert!(!harness.state().is_playing());
        time.advance(Duration::from_secs(1));
        assert_near(drawn_position(&mut harness), 1.85);

        // The end stops it at the end; Play then starts from the beginning.
        harness.state_mut().key(MediaKey::PlayPause);
        time.advance(Duration::from_secs(1));
        assert_near(drawn_position(&mut harness), 2.0);
        assert!(!harness.state().is_playing(), "the end stops it");
        harness.state_mut().key(MediaKey::PlayPause);
        assert!(harness.state().is_playing());
        assert_near(harness.state().position_s(), 0.0);
    }

    /// On a simulated device and a hand-driven clock: the position is the device's, pausing keeps
    /// it, mute reaches the device and keeps it playing, and the end stops playback.
    #[test]
    fn a_simulated_device_plays_pauses_mutes_and_ends() {
        let time = TimeSource::manual();
        let options =
            PlayerOptions { output: SoundOutput::Simulated { rate: 1.0 }, time: time.clone(), muted: Some(false) };
        let bytes = Arc::new(sine_wav(8000, 16_000));
        let mut harness = harness_with(AudioSource::Bytes { bytes, ext: Some("wav".to_owned()) }, &options);
        assert_ready(&mut harness, 2.0);
        assert_eq!(harness.state().playback_available(), Some(true));
        harness.state_mut().key(MediaKey::PlayPause);
        assert!(harness.state().is_playing());
        assert!(pump(&mut harness, |p| p.sound().clock().is_some()), "the device did not start");
        time.advance(Duration::from_millis(500));
        assert_near(harness.state().position_s(), 0.5);

        harness.state_mut().key(MediaKey::Mute);
        assert!(pump(&mut harness, |p| p.sound().output_volume() == 0.0), "mute did not reach the device");
        assert!(harness.state().is_muted() && harness.state().is_playing());
        time.advance(Duration::from_millis(250));
        assert_near(harness.state().position_s(), 0.75);
        harness.state_mut().key(MediaKey::Mute);
        assert!(pump(&mut harness, |p| (p.sound().output_volume() - 1.0).abs() < f32::EPSILON));

        harness.state_mut().key(MediaKey::PlayPause);
        assert!(!harness.state().is_playing());
        time.advance(Duration::from_secs(1));
        assert_near(harness.state().position_s(), 0.75);

        // Forward while playing: the device moves with it.
        harness.state_mut().key(MediaKey::PlayPause);
        harness.state_mut().key(MediaKey::Forward);
        assert!(pump(&mut harness, |p| p.sound().clock().is_some()));
        assert_near(harness.state().position_s(), 1.75);
        time.advance(Duration::from_secs(1));
        assert!(pump(&mut harness, |p| !p.is_playing()), "the end did not stop playback: {:?}", harness.state());
        assert_near(harness.state().position_s(), 2.0);
    }
}
