//! An audio player for the sample view: a waveform with a moving position line, click/drag to
//! seek, play/pause through the default sound device.
//!
//! Nothing here blocks the UI thread. A named loader thread (`audio-load`) decodes the clip and
//! computes [`PEAK_BUCKETS`] min/max peaks, then starts the output thread (`audio-out`), which
//! opens the default sound device with rodio and owns it for the player's life (rodio's device
//! sink need not be `Send`, so it never leaves that thread). The UI sends play/pause/seek over a
//! bounded command channel; the output thread reports the playback position through an atomic
//! (milliseconds) and the end of the clip as an event.
//!
//! With no sound device (a headless machine, a CI runner), opening the sink fails: playback is
//! then unavailable and says so quietly, but the waveform is drawn and seeking still moves the
//! position line.
//!
//! Dropping the player sets a stop flag and drops the channels; both threads exit on their own
//! and are never joined (a loader still decoding finishes that clip first, then exits without
//! opening the device).

use super::video_player::format_time;
use crate::media::{
    AudioSamples, MediaError, decode_audio_bytes, decode_audio_file, decode_audio_track, waveform_peaks,
};
use std::collections::VecDeque;
use std::num::NonZero;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// How many min/max pairs the waveform is computed with.
pub const PEAK_BUCKETS: usize = 800;
/// Height of the waveform in points.
const WAVEFORM_HEIGHT: f32 = 80.0;
/// Capacity of the command channel.
const COMMAND_CAPACITY: usize = 16;
/// Capacity of the event channel.
const EVENT_CAPACITY: usize = 8;
/// How long one `ui()` call may spend draining events.
const DRAIN_BUDGET: Duration = Duration::from_millis(10);
/// How often the output thread publishes the playback position.
const POSITION_INTERVAL: Duration = Duration::from_millis(25);
/// The notice shown when no sound device could be opened.
pub const NO_DEVICE_NOTICE: &str = "Playback unavailable: no sound device";

/// Where an [`AudioPlayer`] reads its clip from.
#[derive(Debug, Clone)]
pub enum AudioSource {
    /// An audio file on disk (WAV, MP3, FLAC, Ogg Vorbis, M4A; others through `FFmpeg`).
    File(PathBuf),
    /// A whole audio file held in memory, with its extension (`"wav"`, `"mp3"`, ...) as a hint.
    Bytes {
        /// The file's bytes.
        bytes: Arc<Vec<u8>>,
        /// The file extension, without the dot, when known.
        ext: Option<String>,
    },
    /// The audio track of a video file.
    VideoTrack(PathBuf),
}

/// What the loader reports once the clip is decoded.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    sample_rate: u32,
    channels: u16,
    duration_s: f64,
    peaks: Vec<(f32, f32)>,
}

/// UI to output thread.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Command {
    /// Start playing at `from` seconds.
    Play {
        from: f64,
    },
    Pause,
    Seek(f64),
}

/// Loader and output threads to UI.
#[derive(Debug)]
enum Event {
    Loaded(Loaded),
    /// Whether a sound device was opened.
    Playback(bool),
    /// The clip played to its end.
    Ended,
    Error(String),
}

/// An audio player widget: waveform, position line, play/pause and time.
///
/// Create one per shown clip with [`AudioPlayer::new`] and call [`AudioPlayer::ui`] every
/// frame; dropping it stops playback and its threads.
pub struct AudioPlayer {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    /// Where the output thread publishes the playback position, in milliseconds.
    device_pos_ms: Arc<AtomicU64>,
    /// Commands the full channel did not take yet (coalesced).
    outbox: VecDeque<Command>,
    /// The decoded clip's facts and peaks (shared so drawing needs no copy).
    loaded: Option<Arc<Loaded>>,
    playback: Option<bool>,
    error: Option<String>,
    playing: bool,
    /// The position while not playing.
    position: f64,
    /// The waveform's rectangle in the last frame (for tests that click on it).
    waveform_rect: Option<egui::Rect>,
}

impl std::fmt::Debug for AudioPlayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioPlayer")
            .field("loaded", &self.loaded.as_ref().map(|l| (l.sample_rate, l.channels, l.duration_s)))
            .field("playback", &self.playback)
            .field("error", &self.error)
            .field("playing", &self.playing)
            .field("position", &self.position_s())
            .finish_non_exhaustive()
    }
}

impl AudioPlayer {
    /// Starts the loader thread (`audio-load`), which decodes the clip and computes waveform
    /// peaks, then tries to open the default sound device on the `audio-out` thread. With no
    /// device, playback is unavailable but the waveform still shows. Returns at once.
    pub fn new(source: AudioSource) -> Self {
        let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, events) = sync_channel(EVENT_CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(OnceLock::new());
        let device_pos_ms = Arc::new(AtomicU64::new(0));
        let shared = Shared {
            events: event_tx,
            stop: Arc::clone(&stop),
            waker: Arc::clone(&waker),
            position_ms: Arc::clone(&device_pos_ms),
        };
        let spawned =
            std::thread::Builder::new().name("audio-load".to_owned()).spawn(move || load(&source, shared, command_rx));
        let error = spawned.err().map(|e| format!("cannot start the audio loader thread: {e}"));
        Self {
            commands,
            events,
            stop,
            waker,
            device_pos_ms,
            outbox: VecDeque::new(),
            loaded: None,
            playback: None,
            error,
            playing: false,
            position: 0.0,
            waveform_rect: None,
        }
    }

    /// Draws the waveform (min/max bars filling the available width, ~80 px tall) with the
    /// playback position as a vertical line (click or drag on it to seek), then play/pause, the
    /// time and the sample rate and channels as weak text. With no sound device, a quiet notice
    /// and a disabled play button. While loading: a spinner. An error: red inline text.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let _ = self.waker.set(ui.ctx().clone());
        self.poll();

        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, format!("Audio error: {error}"));
        }
        let Some(loaded) = self.loaded.clone() else {
            if self.error.is_none() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Loading audio…");
                });
            }
            return;
        };
        self.waveform_ui(ui, &loaded);
        self.controls_ui(ui, &loaded);

        if self.playing {
            ui.ctx().request_repaint_after(Duration::from_millis(33));
        } else if self.playback.is_none() || !self.outbox.is_empty() {
            // The output thread wakes us when the device is open; this is only a fallback.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    }

    /// Plays from the current position (from the start when at the end), or pauses. Does nothing
    /// while loading or when playback is unavailable.
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.position = self.position_s();
            self.playing = false;
            self.send(Command::Pause);
            return;
        }
        let (Some(loaded), Some(true)) = (&self.loaded, self.playback) else { return };
        if self.position >= loaded.duration_s - 1e-3 {
            self.position = 0.0;
        }
        self.playing = true;
        self.store_device_pos(self.position);
        self.send(Command::Play { from: self.position });
    }

    /// Moves playback to `t_seconds` (clamped to the clip); keeps playing if it was.
    pub fn seek(&mut self, t_seconds: f64) {
        let mut t = if t_seconds.is_finite() { t_seconds.max(0.0) } else { 0.0 };
        if let Some(duration) = self.duration_s() {
            t = t.min(duration);
        }
        self.position = t;
        self.store_device_pos(t);
        if self.playback == Some(true) {
            self.send(Command::Seek(t));
        }
    }

    /// Whether the waveform is available (the clip is decoded).
    pub fn is_ready(&self) -> bool {
        self.loaded.is_some()
    }

    /// Whether a sound device was opened: `None` until known (while loading).
    pub fn playback_available(&self) -> Option<bool> {
        self.playback
    }

    /// Whether the clip is playing.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The waveform peaks (min, max per bucket), once loaded.
    pub fn peaks(&self) -> Option<&[(f32, f32)]> {
        self.loaded.as_ref().map(|l| l.peaks.as_slice())
    }

    /// The clip's length in seconds, once loaded.
    pub fn duration_s(&self) -> Option<f64> {
        self.loaded.as_ref().map(|l| l.duration_s)
    }

    /// The playback position in seconds (from the device while playing).
    pub fn position_s(&self) -> f64 {
        let t = if self.playing { self.device_pos_ms.load(Ordering::Relaxed) as f64 / 1000.0 } else { self.position };
        self.duration_s().map_or(t, |d| t.min(d))
    }

    /// The error, if the clip could not be decoded.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn store_device_pos(&self, t: f64) {
        self.device_pos_ms.store((t * 1000.0).round() as u64, Ordering::Relaxed);
    }

    /// Queues a command, coalescing with unsent ones, and sends what the channel takes.
    fn send(&mut self, command: Command) {
        self.outbox.retain(|c| matches!(c, Command::Seek(_)) != matches!(command, Command::Seek(_)));
        self.outbox.push_back(command);
        self.flush();
    }

    fn flush(&mut self) {
        super::flush_outbox(&mut self.outbox, &self.commands);
    }

    /// Drains events for at most [`DRAIN_BUDGET`].
    fn poll(&mut self) {
        self.flush();
        let start = Instant::now();
        while start.elapsed() < DRAIN_BUDGET {
            match self.events.try_recv() {
                Ok(Event::Loaded(loaded)) => self.loaded = Some(Arc::new(loaded)),
                Ok(Event::Playback(available)) => self.playback = Some(available),
                Ok(Event::Ended) => {
                    if self.playing {
                        self.playing = false;
                        self.position = self.duration_s().unwrap_or_else(|| self.position_s());
                    }
                }
                Ok(Event::Error(message)) => {
                    self.error = Some(message);
                    self.playing = false;
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
    }

    fn waveform_ui(&mut self, ui: &mut egui::Ui, loaded: &Loaded) {
        let width = ui.available_width().max(32.0);
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(width, WAVEFORM_HEIGHT), egui::Sense::click_and_drag());
        self.waveform_rect = Some(rect);
        if (response.clicked() || response.dragged())
            && let Some(pointer) = response.interact_pointer_pos()
        {
            let fraction = f64::from(((pointer.x - rect.left()) / rect.width()).clamp(0.0, 1.0));
            self.seek(fraction * loaded.duration_s);
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
            if loaded.duration_s > 0.0 { (self.position_s() / loaded.duration_s).clamp(0.0, 1.0) as f32 } else { 0.0 };
        let played_x = rect.left() + fraction * rect.width();
        let played = visuals.selection.stroke.color;
        let unplayed = visuals.weak_text_color();
        let columns = (rect.width().floor() as usize).max(1);
        let peaks = &loaded.peaks;
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

    fn controls_ui(&mut self, ui: &mut egui::Ui, loaded: &Loaded) {
        ui.horizontal(|ui| {
            let label = if self.playing { "‖ Pause" } else { "▶ Play" };
            let enabled = self.playback == Some(true);
            if ui.add_enabled(enabled, egui::Button::new(egui::RichText::new(label).monospace())).clicked() {
                self.toggle_play();
            }
            ui.monospace(format!("{} / {}", format_time(self.position_s()), format_time(loaded.duration_s)));
            let channels = match loaded.channels {
                1 => "mono".to_owned(),
                2 => "stereo".to_owned(),
                n => format!("{n} ch"),
            };
            ui.label(egui::RichText::new(format!("{} Hz · {channels}", loaded.sample_rate)).small().weak());
        });
        match self.playback {
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

impl Drop for AudioPlayer {
    fn drop(&mut self) {
        // The threads see the flag or the closed channels and exit; never joined.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What the loader and output threads share with the UI.
struct Shared {
    events: SyncSender<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    position_ms: Arc<AtomicU64>,
}

impl Shared {
    /// Sends an event and wakes the UI; `false` once the player is gone.
    fn emit(&self, event: Event) -> bool {
        let sent = self.events.send(event).is_ok();
        if let Some(ctx) = self.waker.get() {
            ctx.request_repaint();
        }
        sent
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

fn decode(source: &AudioSource) -> Result<AudioSamples, MediaError> {
    match source {
        AudioSource::File(path) => decode_audio_file(path),
        AudioSource::Bytes { bytes, ext } => decode_audio_bytes(bytes, ext.as_deref()),
        AudioSource::VideoTrack(path) => decode_audio_track(path),
    }
}

/// The `audio-load` thread: decode, peaks, then hand the samples to the output thread.
fn load(source: &AudioSource, shared: Shared, commands: Receiver<Command>) {
    let samples = match decode(source) {
        Ok(samples) => samples,
        Err(e) => {
            shared.emit(Event::Error(e.to_string()));
            return;
        }
    };
    if shared.stopped() {
        return;
    }
    let loaded = Loaded {
        sample_rate: samples.sample_rate,
        channels: samples.channels,
        duration_s: samples.duration_s(),
        peaks: waveform_peaks(&samples, PEAK_BUCKETS),
    };
    if !shared.emit(Event::Loaded(loaded)) || shared.stopped() {
        return;
    }
    let events = shared.events.clone();
    let spawned =
        std::thread::Builder::new().name("audio-out".to_owned()).spawn(move || output(samples, &shared, &commands));
    if spawned.is_err() {
        let _ = events.send(Event::Playback(false));
    }
}

/// The `audio-out` thread: opens the default device and serves play/pause/seek until the player
/// is dropped. The device sink lives and dies on this thread.
fn output(samples: AudioSamples, shared: &Shared, commands: &Receiver<Command>) {
    let (Some(channels), Some(rate)) = (NonZero::new(samples.channels), NonZero::new(samples.sample_rate)) else {
        shared.emit(Event::Playback(false));
        return;
    };
    let Ok(mut sink) = rodio::DeviceSinkBuilder::open_default_sink() else {
        shared.emit(Event::Playback(false));
        return;
    };
    sink.log_on_drop(false);
    let player = rodio::Player::connect_new(sink.mixer());
    player.pause();
    let clip = rodio::buffer::SamplesBuffer::new(channels, rate, samples.samples);
    if !shared.emit(Event::Playback(true)) {
        return;
    }
    let mut playing = false;
    loop {
        let first = match commands.recv_timeout(if playing { POSITION_INTERVAL } else { Duration::from_millis(250) }) {
            Ok(command) => Some(command),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        if shared.stopped() {
            return;
        }
        // Coalesce what piled up: the last play/pause and the last seek win.
        let mut play = None;
        let mut seek = None;
        for command in first.into_iter().chain(std::iter::from_fn(|| commands.try_recv().ok())) {
            match command {
                Command::Play { from } => {
                    play = Some(true);
                    seek = Some(from);
                }
                Command::Pause => play = Some(false),
                Command::Seek(t) => seek = Some(t),
            }
        }
        if play == Some(false) {
            player.pause();
            playing = false;
        }
        if let Some(t) = seek {
            if player.empty() {
                player.append(clip.clone());
            }
            // A buffer in memory always seeks; an error would only leave the position as it was.
            let _ = player.try_seek(Duration::from_secs_f64(t.max(0.0)));
        }
        if play == Some(true) {
            if player.empty() {
                player.append(clip.clone());
            }
            player.play();
            playing = true;
        }
        if playing {
            if player.empty() {
                playing = false;
                player.pause();
                if !shared.emit(Event::Ended) {
                    return;
                }
            } else {
                shared.position_ms.store(player.get_pos().as_millis() as u64, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::media::test_util::pump;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use std::path::Path;

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

    fn harness(source: AudioSource) -> Harness<'static, AudioPlayer> {
        Harness::builder()
            .with_size(egui::vec2(500.0, 300.0))
            .build_ui_state(|ui, player: &mut AudioPlayer| player.ui(ui), AudioPlayer::new(source))
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
        let mut harness = harness(AudioSource::File(path));
        assert_ready(&mut harness, 1.5);
        harness.step();
        harness.get_by_label_contains("8000 Hz · mono");
        harness.get_by_label_contains("0:00.0 / 0:01.5");
        match harness.state().playback_available() {
            // The usual case on test machines: no sound card.
            Some(false) => {
                assert!(harness.query_by_label_contains(NO_DEVICE_NOTICE).is_some());
                harness.state_mut().toggle_play();
                assert!(!harness.state().is_playing(), "no device, no playback");
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
}
