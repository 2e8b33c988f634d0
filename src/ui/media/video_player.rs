//! A video player for the sample view: video files, in-memory video and frame directories, with
//! the sound of a video that has an audio track.
//!
//! All decoding happens off the UI thread: frames on the `video-decode` worker
//! ([`super::video_worker`]), the sound on a [`Sound`]'s threads. The UI talks to them over
//! bounded channels and drains events for at most ~10 ms a frame, so `ui()` never blocks:
//!
//! - **Playback**: the worker decodes forward; at most a few frames wait in the channel plus a
//!   few (`MAX_QUEUED`) on the UI side. The UI runs a [`PlaybackClock`] from the time source,
//!   shows the newest frame whose pts is at or before it, and asks for a repaint when the next
//!   frame is due. At the end of the stream playback stops.
//! - **Sound**: play starts the sound at the picture's position; while it plays, the clock
//!   follows the sound's ([`PlaybackClock::follow`]), so picture and sound stay together even
//!   when the device's clock runs at its own pace. A sound clock too far off to be true (a null
//!   device, a stalled one) is not followed: the sound is started again at the picture's
//!   position, at most [`MAX_RESYNCS`] times per play. Pause, seek and step move the sound
//!   with the picture. With no device, or no audio track, the video plays silently.
//! - **Seek, scrub, step**: each one bumps an *epoch* and sends a seek; the worker keeps only
//!   the newest seek of those that piled up, decodes the frame nearest the target and tags it
//!   with the epoch. Frames of an older epoch are dropped by the UI.
//! - **Drop** sets the stop flag and drops the senders; the threads exit on their own (nothing
//!   is joined, so dropping a player never blocks the UI).
//!
//! The threads wake the UI with `request_repaint` once they have an [`egui::Context`] (handed
//! over on the first `ui()` call).

use super::VIDEO_BIG_STEP_S;
use super::clock::{Follow, PlaybackClock, TimeSource};
use super::sound::{AudioSource, PlayerOptions, Sound};
use super::video_worker::{self, Command, Event, FALLBACK_FPS, FrameKind, VideoInfo};
use crate::media::RgbaFrame;
use crate::ui::commands::MediaKey;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Frames held on the UI side waiting for the playback clock.
const MAX_QUEUED: usize = 3;
/// How long one `ui()` call may spend draining events.
const DRAIN_BUDGET: Duration = Duration::from_millis(10);
/// Height reserved under the frame for the controls.
const CONTROLS_HEIGHT: f32 = 64.0;
/// How many times one play restarts a sound whose clock is too far off to follow.
pub const MAX_RESYNCS: u32 = 3;
/// The least time between two such restarts.
const RESYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Where a [`VideoPlayer`] reads its video from.
#[derive(Debug, Clone)]
pub enum VideoSource {
    /// A video file on disk.
    File(PathBuf),
    /// A whole video file held in memory (an embedded dataset blob).
    Bytes(Arc<Vec<u8>>),
    /// A directory of frame images played at `fps` (the frame directory's default when `None`).
    Frames {
        /// The directory of frame images.
        dir: PathBuf,
        /// The dataset's frame rate, when known.
        fps: Option<f64>,
    },
}

/// A video player widget: the current frame with play/pause, frame step, mute and a scrub
/// slider.
///
/// Create one per shown video with [`VideoPlayer::new`] and call [`VideoPlayer::ui`] every
/// frame; dropping it stops its threads.
pub struct VideoPlayer {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    /// Commands not yet accepted by the full command channel (coalesced).
    outbox: VecDeque<Command>,
    info: Option<VideoInfo>,
    error: Option<String>,
    /// Bumped by every seek; frames of older epochs are stale.
    epoch: u64,
    playing: bool,
    time: TimeSource,
    clock: PlaybackClock,
    /// The audio track's sound (`None` for a frame directory).
    sound: Option<Sound>,
    /// Restarts of a runaway sound since playback started, and the last one.
    resyncs: u32,
    last_resync: Option<Instant>,
    /// Playback frames of the current epoch waiting for the clock.
    queue: VecDeque<RgbaFrame>,
    /// The newest frame to show, not yet uploaded.
    upload: Option<RgbaFrame>,
    shown_pts: Option<f64>,
    texture: Option<egui::TextureHandle>,
    /// The worker reported the end of the stream for the current epoch.
    ended: bool,
    /// A seek was sent and its frame has not arrived yet.
    awaiting_seek: bool,
    /// Move the clock to the pts of the seek frame when it arrives (frame steps).
    snap_to_frame: bool,
}

impl std::fmt::Debug for VideoPlayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoPlayer")
            .field("info", &self.info)
            .field("error", &self.error)
            .field("playing", &self.playing)
            .field("position", &self.position_s())
            .field("shown_pts", &self.shown_pts)
            .field("sound", &self.sound)
            .finish_non_exhaustive()
    }
}

impl VideoPlayer {
    /// Starts the decoder thread (`video-decode`) and, for a video file, the sound's threads on
    /// the app's sound device; the source is opened there, so this returns at once. If a thread
    /// cannot be started, the player shows that as its error.
    pub fn new(source: VideoSource) -> Self {
        Self::with_options(source, &PlayerOptions::default())
    }

    /// Like [`VideoPlayer::new`], on the sound device and time source of `options`.
    pub fn with_options(source: VideoSource, options: &PlayerOptions) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(OnceLock::new());
        let sound = match &source {
            VideoSource::File(path) => Some(AudioSource::VideoTrack(path.clone())),
            VideoSource::Bytes(bytes) => Some(AudioSource::VideoTrackBytes(Arc::clone(bytes))),
            VideoSource::Frames { .. } => None,
        }
        .map(|audio| Sound::new(audio, 0, options));
        let (commands, events, error) = video_worker::spawn(source, Arc::clone(&stop), Arc::clone(&waker));
        Self {
            commands,
            events,
            stop,
            waker,
            outbox: VecDeque::new(),
            info: None,
            error,
            epoch: 0,
            playing: false,
            time: options.time.clone(),
            clock: PlaybackClock::default(),
            sound,
            resyncs: 0,
            last_resync: None,
            queue: VecDeque::new(),
            upload: None,
            shown_pts: None,
            texture: None,
            ended: false,
            awaiting_seek: false,
            snap_to_frame: false,
        }
    }

    /// Draws the current frame (fit to the available width, aspect kept, no taller than the
    /// available height minus the controls) and the controls under it: play/pause, frame step
    /// back/forward, mute (with sound), a scrub slider over the duration, the time, and the frame
    /// size, fps and codec as small weak text. While the source opens: a spinner. An error: red
    /// inline text.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let _ = self.waker.set(ui.ctx().clone());
        let at = self.clock();
        if let Some(sound) = &mut self.sound
            && sound.poll(ui.ctx())
            && self.playing
        {
            // The sound became ready while the picture plays: join it.
            sound.play(at);
        }
        self.poll();
        self.upload_frame(ui.ctx());

        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, format!("Video error: {error}"));
        }
        let Some(info) = self.info.clone() else {
            if self.error.is_none() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Opening video…");
                });
                ui.ctx().request_repaint_after(Duration::from_millis(50));
            }
            return;
        };

        if self.texture.is_some() || self.error.is_none() {
            self.frame_ui(ui);
        }
        self.controls_ui(ui, &info);
        self.schedule_repaint(ui.ctx(), &info);
    }

    /// Plays from the current position, or pauses. At the end of the video, play starts over.
    /// The sound starts (or stops) with the picture.
    pub fn toggle_play(&mut self) {
        let now = self.time.now();
        if self.playing {
            self.clock.stop(now);
            self.playing = false;
            self.send(Command::Pause);
            if let Some(sound) = &mut self.sound {
                sound.pause();
            }
            return;
        }
        let Some(info) = &self.info else { return };
        let at_end = (self.ended && self.queue.is_empty())
            || info.duration_s.is_some_and(|d| self.clock() >= d - info.frame_duration() / 2.0);
        if at_end {
            self.seek(0.0);
        }
        self.playing = true;
        self.clock.start(now);
        self.resyncs = 0;
        self.send(Command::Play);
        let from = self.clock();
        if let Some(sound) = &mut self.sound {
            sound.play(from);
        }
    }

    /// Pauses and moves `frames` frames forward (negative: back) from the frame shown.
    pub fn step(&mut self, frames: i64) {
        if self.playing {
            self.toggle_play();
        }
        let frame_s = self.info.as_ref().map_or(1.0 / FALLBACK_FPS, VideoInfo::frame_duration);
        let base = if self.awaiting_seek { self.clock() } else { self.shown_pts.unwrap_or_else(|| self.clock()) };
        let mut target = (base + frames as f64 * frame_s).max(0.0);
        if let Some(duration) = self.duration_s() {
            target = target.min((duration - frame_s).max(0.0));
        }
        self.seek(target);
        self.snap_to_frame = true;
    }

    /// Moves playback to `t_seconds` (clamped to the video); keeps playing if it was. The sound
    /// moves with it.
    pub fn seek(&mut self, t_seconds: f64) {
        let mut t = if t_seconds.is_finite() { t_seconds.max(0.0) } else { 0.0 };
        if let Some(duration) = self.duration_s() {
            t = t.min(duration);
        }
        self.epoch += 1;
        self.queue.clear();
        self.ended = false;
        self.awaiting_seek = true;
        self.snap_to_frame = false;
        self.clock.set(t, self.time.now());
        self.send(Command::Seek { t, epoch: self.epoch });
        if let Some(sound) = &mut self.sound {
            sound.seek(t);
        }
    }

    /// Mutes or unmutes the sound (nothing for a video without one).
    pub fn toggle_mute(&mut self) {
        if let Some(sound) = &mut self.sound
            && sound.has_track() == Some(true)
        {
            sound.set_muted(!sound.is_muted());
        }
    }

    /// Carries out a player key: space plays or pauses, ← / → step a frame, with Shift move
    /// [`VIDEO_BIG_STEP_S`], M mutes.
    pub fn key(&mut self, key: MediaKey) {
        match key {
            MediaKey::PlayPause => self.toggle_play(),
            MediaKey::Back => self.step(-1),
            MediaKey::Forward => self.step(1),
            MediaKey::BackMore => self.seek(self.clock() - VIDEO_BIG_STEP_S),
            MediaKey::ForwardMore => self.seek(self.clock() + VIDEO_BIG_STEP_S),
            MediaKey::Mute => self.toggle_mute(),
        }
    }

    /// Whether the video is playing.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Whether the sound is muted.
    pub fn is_muted(&self) -> bool {
        self.sound.as_ref().is_some_and(Sound::is_muted)
    }

    /// The audio track's sound: `None` for a frame directory.
    pub fn sound(&self) -> Option<&Sound> {
        self.sound.as_ref()
    }

    /// The playback clock in seconds (following the sound while it plays).
    pub fn position_s(&self) -> f64 {
        self.clock()
    }

    /// The duration in seconds, once the source is open and if it is known.
    pub fn duration_s(&self) -> Option<f64> {
        let info = self.info.as_ref()?;
        info.duration_s.or_else(|| info.frame_count.map(|n| n as f64 * info.frame_duration()))
    }

    /// The pts of the last frame received for display (`None` before the first).
    pub fn shown_pts(&self) -> Option<f64> {
        self.shown_pts
    }

    /// The error, if the source failed to open or decode.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether a seek (or step) waits for its frame.
    pub fn is_seeking(&self) -> bool {
        self.awaiting_seek || self.upload.is_some()
    }

    /// The playback clock now, clamped to the duration.
    fn clock(&self) -> f64 {
        let t = self.clock.at(self.time.now());
        self.duration_s().map_or(t, |d| t.min(d))
    }

    /// Queues a command, coalescing with unsent ones (only the newest seek and the newest
    /// play/pause matter), and sends what the channel takes.
    fn send(&mut self, command: Command) {
        match command {
            Command::Seek { .. } => self.outbox.retain(|c| !matches!(c, Command::Seek { .. })),
            Command::Play | Command::Pause => self.outbox.retain(|c| matches!(c, Command::Seek { .. })),
        }
        self.outbox.push_back(command);
        self.flush();
    }

    fn flush(&mut self) {
        super::flush_outbox(&mut self.outbox, &self.commands);
    }

    /// Drains worker events (for at most [`DRAIN_BUDGET`]) and picks the frame to show.
    fn poll(&mut self) {
        self.flush();
        let start = Instant::now();
        loop {
            self.advance_playback();
            if self.queue.len() >= MAX_QUEUED || start.elapsed() > DRAIN_BUDGET {
                break;
            }
            match self.events.try_recv() {
                Ok(event) => self.handle(event),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        self.advance_playback();
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Opened(info) => self.info = Some(info),
            Event::Frame { epoch, .. } if epoch != self.epoch => {}
            Event::Frame { kind: FrameKind::Seek, frame, .. } => {
                self.awaiting_seek = false;
                if self.snap_to_frame {
                    self.snap_to_frame = false;
                    self.clock.set(frame.pts_s, self.time.now());
                    if let Some(sound) = &mut self.sound {
                        sound.seek(frame.pts_s);
                    }
                }
                self.present(frame);
            }
            Event::Frame { kind: FrameKind::Play, frame, .. } => self.queue.push_back(frame),
            Event::End { epoch } => self.ended |= epoch == self.epoch,
            Event::Error(message) => {
                self.error = Some(message);
                self.awaiting_seek = false;
                if self.playing {
                    self.clock.stop(self.time.now());
                    self.playing = false;
                    if let Some(sound) = &mut self.sound {
                        sound.pause();
                    }
                }
            }
        }
    }

    /// While the sound plays, moves the clock toward the sound's; restarts a sound whose clock is
    /// too far off to be true at the picture's position (see the module docs).
    fn follow_sound(&mut self) {
        let now = self.time.now();
        let Some(sound) = &mut self.sound else { return };
        let Some((heard, reported)) = sound.report() else { return };
        if self.clock.follow(heard, reported, now) == Follow::Diverged
            && self.resyncs < MAX_RESYNCS
            && self.last_resync.is_none_or(|t| now.saturating_duration_since(t) >= RESYNC_INTERVAL)
        {
            self.resyncs += 1;
            self.last_resync = Some(now);
            sound.seek(self.clock.at(now));
        }
    }

    /// While playing: shows the newest queued frame that is due, and stops at the end.
    fn advance_playback(&mut self) {
        if !self.playing {
            return;
        }
        self.follow_sound();
        let clock = self.clock();
        let mut due = None;
        while self.queue.front().is_some_and(|f| f.pts_s <= clock + 1e-3) {
            due = self.queue.pop_front();
        }
        if let Some(frame) = due {
            self.present(frame);
        }
        if self.ended && self.queue.is_empty() {
            let frame_s = self.info.as_ref().map_or(1.0 / FALLBACK_FPS, VideoInfo::frame_duration);
            let end = self.shown_pts.map_or(0.0, |pts| pts + frame_s);
            let end = self.duration_s().map_or(end, |d| end.min(d));
            if clock >= end - 1e-6 {
                let now = self.time.now();
                self.clock.stop(now);
                self.clock.set(self.duration_s().unwrap_or(clock).max(clock), now);
                self.playing = false;
                self.send(Command::Pause);
                if let Some(sound) = &mut self.sound {
                    sound.pause();
                }
            }
        }
    }

    fn present(&mut self, frame: RgbaFrame) {
        self.shown_pts = Some(frame.pts_s);
        self.upload = Some(frame);
    }

    fn upload_frame(&mut self, ctx: &egui::Context) {
        let Some(frame) = self.upload.take() else { return };
        let size = [frame.width as usize, frame.height as usize];
        if size[0] * size[1] * 4 != frame.pixels.len() || size[0] == 0 || size[1] == 0 {
            self.error = Some(format!("decoded frame has the wrong size ({}x{})", frame.width, frame.height));
            return;
        }
        let image = egui::ColorImage::from_rgba_unmultiplied(size, &frame.pixels);
        match &mut self.texture {
            Some(texture) => texture.set(image, egui::TextureOptions::LINEAR),
            None => self.texture = Some(ctx.load_texture("video-player-frame", image, egui::TextureOptions::LINEAR)),
        }
    }

    fn frame_ui(&self, ui: &mut egui::Ui) {
        let Some(texture) = &self.texture else {
            ui.spinner();
            return;
        };
        let [w, h] = texture.size().map(|v| v as f32);
        let width = ui.available_width().max(16.0);
        let mut size = egui::vec2(width, width * h / w);
        let max_height = ui.available_height() - CONTROLS_HEIGHT;
        if max_height.is_finite() && size.y > max_height.max(32.0) {
            let max_height = max_height.max(32.0);
            size = egui::vec2(max_height * w / h, max_height);
        }
        ui.add(egui::Image::new((texture.id(), size)));
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, info: &VideoInfo) {
        let duration = self.duration_s();
        let with_sound = self.sound.as_ref().and_then(Sound::has_track) == Some(true);
        ui.horizontal(|ui| {
            let enabled = self.error.is_none() || self.texture.is_some();
            let label = if self.playing { "‖ Pause" } else { "▶ Play" };
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new(label).monospace()))
                .on_hover_text("Play / pause (Space)")
                .clicked()
            {
                self.toggle_play();
            }
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new("|◀").monospace()))
                .on_hover_text("Previous frame (Left arrow)")
                .clicked()
            {
                self.step(-1);
            }
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new("▶|").monospace()))
                .on_hover_text("Next frame (Right arrow)")
                .clicked()
            {
                self.step(1);
            }
            if with_sound && ui.button(super::mute_label(self.is_muted())).on_hover_text("Mute / unmute (M)").clicked()
            {
                self.toggle_mute();
            }
            let mut t = self.clock();
            let end = duration.unwrap_or(t).max(1e-3);
            let slider_width = (ui.available_width() - 120.0).max(60.0);
            ui.spacing_mut().slider_width = slider_width;
            let response = ui
                .add_enabled(enabled, egui::Slider::new(&mut t, 0.0..=end).show_value(false))
                .on_hover_text("Position: drag to scrub");
            if response.changed() {
                self.seek(t);
            }
            let total = duration.map_or_else(|| "?".to_owned(), format_time);
            ui.monospace(format!("{} / {total}", format_time(self.clock())));
        });
        let fps = match info.fps {
            Some(f) if (f - f.round()).abs() < 1e-3 => format!("{f:.0} fps"),
            Some(f) => format!("{f:.2} fps"),
            None => "? fps".to_owned(),
        };
        let sound = match self.sound.as_ref() {
            Some(s) if s.has_track().is_none() => " · sound…".to_owned(),
            Some(s) if s.available() == Some(false) && s.has_track() == Some(true) => " · sound: no device".to_owned(),
            Some(s) => s.clip().map(|c| format!(" · sound {} Hz", c.sample_rate)).unwrap_or_default(),
            None => String::new(),
        };
        ui.label(
            egui::RichText::new(format!("{}×{} · {fps} · {}{sound}", info.width, info.height, info.codec))
                .small()
                .weak(),
        );
    }

    fn schedule_repaint(&self, ctx: &egui::Context, info: &VideoInfo) {
        if self.playing {
            let wait = self.queue.front().map_or(info.frame_duration(), |f| (f.pts_s - self.clock()).max(0.0));
            ctx.request_repaint_after(Duration::from_secs_f64(wait.min(0.25)));
        } else if self.awaiting_seek || !self.outbox.is_empty() {
            // The worker wakes us when the frame is ready; this is only a fallback.
            ctx.request_repaint_after(Duration::from_millis(30));
        } else if self.sound.as_ref().is_some_and(Sound::is_busy) {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }
}

impl Drop for VideoPlayer {
    fn drop(&mut self) {
        // The worker sees the flag, or the closed command channel, and exits; never joined.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Formats seconds as `m:ss.d` (`0:03.2`, `12:00.0`).
pub fn format_time(seconds: f64) -> String {
    let tenths = if seconds.is_finite() { (seconds.max(0.0) * 10.0).round() as u64 } else { 0 };
    let minutes = tenths / 600;
    let rest = tenths % 600;
    format!("{minutes}:{:02}.{}", rest / 10, rest % 10)
}

#[cfg(test)]
#[path = "video_player_tests.rs"]
mod tests;
