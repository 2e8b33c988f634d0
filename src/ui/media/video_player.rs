//! A video player for the sample view: video files, in-memory video and frame directories.
//!
//! All decoding happens on one named worker thread (`video-decode`) that owns the decoder
//! ([`VideoDecoder`] or [`FrameDir`]). The UI talks to it over a bounded command channel and
//! drains a bounded event channel for at most ~10 ms a frame, so `ui()` never blocks:
//!
//! - **Playback**: the worker decodes forward with `next_frame()`; at most a few frames wait in
//!   the channel plus a few (`MAX_QUEUED`) on the UI side. The UI runs a playback clock from real
//!   elapsed time, shows the newest frame whose pts is at or before the clock, and asks for a
//!   repaint when the next frame is due. At the end of the stream playback stops.
//! - **Seek, scrub, step**: each one bumps an *epoch* and sends a seek; the worker keeps only
//!   the newest seek of those that piled up, decodes the frame nearest the target and tags it
//!   with the epoch. Frames of an older epoch are dropped by the UI.
//! - **Drop** sets the stop flag and drops the sender; the worker exits on its own (nothing is
//!   joined, so dropping a player never blocks the UI).
//!
//! The worker wakes the UI with `request_repaint` once it has an [`egui::Context`] (handed over
//! on the first `ui()` call).

use crate::media::{FrameDir, MediaError, RgbaFrame, VideoDecoder};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Frames held on the UI side waiting for the playback clock.
const MAX_QUEUED: usize = 3;
/// Capacity of the worker's event channel (decoded frames in flight).
const EVENT_CAPACITY: usize = 3;
/// Capacity of the command channel.
const COMMAND_CAPACITY: usize = 16;
/// How long one `ui()` call may spend draining events.
const DRAIN_BUDGET: Duration = Duration::from_millis(10);
/// Frame rate assumed when the container does not say.
const FALLBACK_FPS: f64 = 25.0;
/// Height reserved under the frame for the controls.
const CONTROLS_HEIGHT: f32 = 64.0;

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

/// Facts about the opened video, sent once by the worker.
#[derive(Debug, Clone, PartialEq)]
struct VideoInfo {
    width: u32,
    height: u32,
    fps: Option<f64>,
    duration_s: Option<f64>,
    frame_count: Option<u64>,
    codec: String,
}

impl VideoInfo {
    /// Seconds per frame (from the fps, or [`FALLBACK_FPS`]).
    fn frame_duration(&self) -> f64 {
        1.0 / self.fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(FALLBACK_FPS)
    }
}

/// UI to worker.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Command {
    Play,
    Pause,
    /// Decode the frame nearest `t` and tag it (and every later frame) with `epoch`.
    Seek {
        t: f64,
        epoch: u64,
    },
}

/// Why the worker sent a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    /// The answer to a seek (or the first frame): shown at once.
    Seek,
    /// Sequential playback: shown when the clock reaches its pts.
    Play,
}

/// Worker to UI.
#[derive(Debug)]
enum Event {
    Opened(VideoInfo),
    Frame {
        epoch: u64,
        kind: FrameKind,
        frame: RgbaFrame,
    },
    /// The stream ended while playing `epoch`.
    End {
        epoch: u64,
    },
    Error(String),
}

/// A video player widget: the current frame with play/pause, frame step and a scrub slider.
///
/// Create one per shown video with [`VideoPlayer::new`] and call [`VideoPlayer::ui`] every
/// frame; dropping it stops the decoder thread.
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
    /// The playback position while paused, or the position at `anchor` while playing.
    position: f64,
    /// When playback (re)started: the clock is `position + anchor.elapsed()`.
    anchor: Option<Instant>,
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
            .finish_non_exhaustive()
    }
}

impl VideoPlayer {
    /// Starts the decoder thread (`video-decode`); the source is opened there, so this returns at
    /// once. If the thread cannot be started, the player shows that as its error.
    pub fn new(source: VideoSource) -> Self {
        let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, events) = sync_channel(EVENT_CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let waker = Arc::new(OnceLock::new());
        let worker = Worker {
            commands: command_rx,
            events: event_tx,
            stop: Arc::clone(&stop),
            waker: Arc::clone(&waker),
            pending: VecDeque::new(),
            playing: false,
        };
        let spawned = std::thread::Builder::new().name("video-decode".to_owned()).spawn(move || worker.run(&source));
        let error = spawned.err().map(|e| format!("cannot start the video decoder thread: {e}"));
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
            position: 0.0,
            anchor: None,
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
    /// back/forward, a scrub slider over the duration, the time, and the frame size, fps and
    /// codec as small weak text. While the source opens: a spinner. An error: red inline text.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let _ = self.waker.set(ui.ctx().clone());
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
    pub fn toggle_play(&mut self) {
        if self.playing {
            self.position = self.clock();
            self.playing = false;
            self.anchor = None;
            self.send(Command::Pause);
            return;
        }
        let Some(info) = &self.info else { return };
        let at_end = (self.ended && self.queue.is_empty())
            || info.duration_s.is_some_and(|d| self.position >= d - info.frame_duration() / 2.0);
        if at_end {
            self.seek(0.0);
        }
        self.playing = true;
        self.anchor = Some(Instant::now());
        self.send(Command::Play);
    }

    /// Pauses and moves `frames` frames forward (negative: back) from the frame shown.
    pub fn step(&mut self, frames: i64) {
        if self.playing {
            self.toggle_play();
        }
        let frame_s = self.info.as_ref().map_or(1.0 / FALLBACK_FPS, VideoInfo::frame_duration);
        let base = if self.awaiting_seek { self.position } else { self.shown_pts.unwrap_or(self.position) };
        let mut target = (base + frames as f64 * frame_s).max(0.0);
        if let Some(duration) = self.duration_s() {
            target = target.min((duration - frame_s).max(0.0));
        }
        self.seek(target);
        self.snap_to_frame = true;
    }

    /// Moves playback to `t_seconds` (clamped to the video); keeps playing if it was.
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
        self.position = t;
        if self.playing {
            self.anchor = Some(Instant::now());
        }
        self.send(Command::Seek { t, epoch: self.epoch });
    }

    /// Whether the video is playing.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// The playback clock in seconds.
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

    /// The playback clock: real elapsed time since `anchor` while playing, clamped to the duration.
    fn clock(&self) -> f64 {
        let t = match self.anchor {
            Some(anchor) if self.playing => self.position + anchor.elapsed().as_secs_f64(),
            _ => self.position,
        };
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
                    self.position = frame.pts_s;
                    if self.playing {
                        self.anchor = Some(Instant::now());
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
                    self.position = self.clock();
                    self.playing = false;
                    self.anchor = None;
                }
            }
        }
    }

    /// While playing: shows the newest queued frame that is due, and stops at the end.
    fn advance_playback(&mut self) {
        if !self.playing {
            return;
        }
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
                self.position = self.duration_s().unwrap_or(clock).max(clock);
                self.playing = false;
                self.anchor = None;
                self.send(Command::Pause);
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
        ui.horizontal(|ui| {
            let enabled = self.error.is_none() || self.texture.is_some();
            let label = if self.playing { "‖ Pause" } else { "▶ Play" };
            if ui.add_enabled(enabled, egui::Button::new(egui::RichText::new(label).monospace())).clicked() {
                self.toggle_play();
            }
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new("|◀").monospace()))
                .on_hover_text("Previous frame")
                .clicked()
            {
                self.step(-1);
            }
            if ui
                .add_enabled(enabled, egui::Button::new(egui::RichText::new("▶|").monospace()))
                .on_hover_text("Next frame")
                .clicked()
            {
                self.step(1);
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
        ui.label(
            egui::RichText::new(format!("{}×{} · {fps} · {}", info.width, info.height, info.codec)).small().weak(),
        );
    }

    fn schedule_repaint(&self, ctx: &egui::Context, info: &VideoInfo) {
        if self.playing {
            let wait = self.queue.front().map_or(info.frame_duration(), |f| (f.pts_s - self.clock()).max(0.0));
            ctx.request_repaint_after(Duration::from_secs_f64(wait.min(0.25)));
        } else if self.awaiting_seek || !self.outbox.is_empty() {
            // The worker wakes us when the frame is ready; this is only a fallback.
            ctx.request_repaint_after(Duration::from_millis(30));
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

/// The decoder the worker owns.
enum Backend {
    Decoder(Box<VideoDecoder>),
    Frames { dir: FrameDir, next: usize },
}

impl Backend {
    /// Opens the source and decodes its first frame.
    fn open(source: &VideoSource) -> Result<(Self, VideoInfo, RgbaFrame), MediaError> {
        match source {
            VideoSource::File(path) => Self::from_decoder(VideoDecoder::open(path)?),
            VideoSource::Bytes(bytes) => Self::from_decoder(VideoDecoder::from_bytes(bytes)?),
            VideoSource::Frames { dir, fps } => {
                let dir = FrameDir::open(dir, *fps)?;
                let first = dir.frame(0)?;
                let codec = dir
                    .paths()
                    .first()
                    .and_then(|p| p.extension())
                    .map_or_else(|| "image frames".to_owned(), |e| format!("{} frames", e.to_string_lossy()));
                let info = VideoInfo {
                    width: first.width,
                    height: first.height,
                    fps: Some(dir.fps()),
                    duration_s: Some(dir.duration_s()),
                    frame_count: Some(dir.len() as u64),
                    codec,
                };
                Ok((Self::Frames { dir, next: 1 }, info, first))
            }
        }
    }

    fn from_decoder(mut decoder: VideoDecoder) -> Result<(Self, VideoInfo, RgbaFrame), MediaError> {
        let first = decoder
            .next_frame()?
            .ok_or_else(|| MediaError::corrupt(crate::model::MediaKind::Video, "no decodable video frame"))?;
        let fps = decoder.fps();
        let frame_count = decoder.frame_count();
        let duration_s =
            decoder.duration_s().or_else(|| Some(frame_count? as f64 / fps?)).filter(|d| d.is_finite() && *d > 0.0);
        let info = VideoInfo {
            width: decoder.width(),
            height: decoder.height(),
            fps,
            duration_s,
            frame_count,
            codec: decoder.codec().to_owned(),
        };
        Ok((Self::Decoder(Box::new(decoder)), info, first))
    }

    /// The frame nearest `t`; playback continues after it.
    fn seek(&mut self, t: f64) -> Result<RgbaFrame, MediaError> {
        match self {
            Self::Decoder(decoder) => decoder.frame_at(t),
            Self::Frames { dir, next } => {
                let index = dir.index_at(t + 0.5 / dir.fps());
                let frame = dir.frame(index)?;
                *next = index + 1;
                Ok(frame)
            }
        }
    }

    /// The next frame in playback order; `None` at the end.
    fn next(&mut self) -> Result<Option<RgbaFrame>, MediaError> {
        match self {
            Self::Decoder(decoder) => decoder.next_frame(),
            Self::Frames { dir, next } if *next < dir.len() => {
                let frame = dir.frame(*next)?;
                *next += 1;
                Ok(Some(frame))
            }
            Self::Frames { .. } => Ok(None),
        }
    }
}

/// The `video-decode` thread's state.
struct Worker {
    commands: Receiver<Command>,
    events: SyncSender<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    /// Commands received while waiting to send a frame.
    pending: VecDeque<Command>,
    playing: bool,
}

/// Why the worker loop ends.
struct Stopped;

impl Worker {
    fn run(mut self, source: &VideoSource) {
        let (mut backend, info, first) = match Backend::open(source) {
            Ok(opened) => opened,
            Err(e) => {
                let _ = self.emit(Event::Error(e.to_string()));
                return;
            }
        };
        if self.emit(Event::Opened(info)).is_err()
            || self.emit(Event::Frame { epoch: 0, kind: FrameKind::Seek, frame: first }).is_err()
        {
            return;
        }
        let _ = self.serve(&mut backend);
    }

    fn serve(&mut self, backend: &mut Backend) -> Result<(), Stopped> {
        let mut epoch = 0;
        let mut at_end = false;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Err(Stopped);
            }
            // Idle: block for the next command. Playing: take what is there and go on decoding.
            if self.pending.is_empty() {
                let command = if self.playing && !at_end {
                    match self.commands.try_recv() {
                        Ok(c) => Some(c),
                        Err(TryRecvError::Empty) => None,
                        Err(TryRecvError::Disconnected) => return Err(Stopped),
                    }
                } else {
                    Some(self.commands.recv().map_err(|_| Stopped)?)
                };
                self.pending.extend(command);
            }
            while let Ok(command) = self.commands.try_recv() {
                self.pending.push_back(command);
            }
            let mut seek = None;
            for command in self.pending.drain(..) {
                match command {
                    Command::Play => self.playing = true,
                    Command::Pause => self.playing = false,
                    Command::Seek { t, epoch } => seek = Some((t, epoch)),
                }
            }
            if let Some((t, new_epoch)) = seek {
                epoch = new_epoch;
                at_end = false;
                match backend.seek(t) {
                    Ok(frame) => self.emit(Event::Frame { epoch, kind: FrameKind::Seek, frame })?,
                    Err(e) => {
                        self.emit(Event::Error(e.to_string()))?;
                        at_end = true;
                    }
                }
            }
            if self.playing && !at_end {
                match backend.next() {
                    Ok(Some(frame)) => self.emit_frame(epoch, frame)?,
                    Ok(None) => {
                        at_end = true;
                        self.emit(Event::End { epoch })?;
                    }
                    Err(e) => {
                        at_end = true;
                        self.emit(Event::Error(e.to_string()))?;
                    }
                }
            }
        }
    }

    /// Sends an event (blocking while the channel is full: these are rare and small).
    fn emit(&self, event: Event) -> Result<(), Stopped> {
        self.events.send(event).map_err(|_| Stopped)?;
        self.wake();
        Ok(())
    }

    /// Sends a playback frame; while the channel is full, keeps listening for commands. A seek
    /// among them makes the frame stale: it is dropped.
    fn emit_frame(&mut self, epoch: u64, frame: RgbaFrame) -> Result<(), Stopped> {
        let mut event = Event::Frame { epoch, kind: FrameKind::Play, frame };
        loop {
            match self.events.try_send(event) {
                Ok(()) => {
                    self.wake();
                    return Ok(());
                }
                Err(TrySendError::Disconnected(_)) => return Err(Stopped),
                Err(TrySendError::Full(back)) => event = back,
            }
            if self.stop.load(Ordering::Relaxed) {
                return Err(Stopped);
            }
            let paused = self.pending.iter().rev().find_map(|c| match c {
                Command::Play => Some(false),
                Command::Pause => Some(true),
                Command::Seek { .. } => None,
            });
            // Paused: nothing drains the channel until the next command, so wait for it.
            let command = if paused.unwrap_or(!self.playing) {
                self.commands.recv().map_err(|_| Stopped)?
            } else {
                match self.commands.recv_timeout(Duration::from_millis(10)) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return Err(Stopped),
                }
            };
            let is_seek = matches!(command, Command::Seek { .. });
            self.pending.push_back(command);
            if is_seek {
                return Ok(());
            }
        }
    }

    fn wake(&self) {
        if let Some(ctx) = self.waker.get() {
            ctx.request_repaint();
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

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media").join(name)
    }

    fn harness(source: VideoSource) -> Harness<'static, VideoPlayer> {
        Harness::builder()
            .with_size(egui::vec2(400.0, 400.0))
            .build_ui_state(|ui, player: &mut VideoPlayer| player.ui(ui), VideoPlayer::new(source))
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
}
