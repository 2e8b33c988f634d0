//! The `video-decode` thread of a [`super::video_player::VideoPlayer`]: it owns the decoder
//! ([`VideoDecoder`] or [`FrameDir`]), decodes forward while playing and answers seeks, tagging
//! each frame with the epoch of the seek it follows. Commands come over a bounded channel; frames
//! go back over a bounded one, so at most a few decoded frames are in flight.

use super::video_player::VideoSource;
use crate::media::{FrameDir, MediaError, RgbaFrame, VideoDecoder};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Capacity of the worker's event channel (decoded frames in flight).
const EVENT_CAPACITY: usize = 3;
/// Capacity of the command channel.
const COMMAND_CAPACITY: usize = 16;
/// Frame rate assumed when the container does not say.
pub(super) const FALLBACK_FPS: f64 = 25.0;

/// Starts the `video-decode` thread on `source`; the source is opened there. Returns the
/// command sender, the event receiver, and why the thread could not start.
pub(super) fn spawn(
    source: VideoSource,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
) -> (SyncSender<Command>, Receiver<Event>, Option<String>) {
    let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
    let (event_tx, events) = sync_channel(EVENT_CAPACITY);
    let worker =
        Worker { commands: command_rx, events: event_tx, stop, waker, pending: VecDeque::new(), playing: false };
    let spawned = std::thread::Builder::new().name("video-decode".to_owned()).spawn(move || worker.run(&source));
    let error = spawned.err().map(|e| format!("cannot start the video decoder thread: {e}"));
    (commands, events, error)
}

/// Facts about the opened video, sent once by the worker.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct VideoInfo {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) fps: Option<f64>,
    pub(super) duration_s: Option<f64>,
    pub(super) frame_count: Option<u64>,
    pub(super) codec: String,
}

impl VideoInfo {
    /// Seconds per frame (from the fps, or [`FALLBACK_FPS`]).
    pub(super) fn frame_duration(&self) -> f64 {
        1.0 / self.fps.filter(|f| f.is_finite() && *f > 0.0).unwrap_or(FALLBACK_FPS)
    }
}

/// UI to worker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Command {
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
pub(super) enum FrameKind {
    /// The answer to a seek (or the first frame): shown at once.
    Seek,
    /// Sequential playback: shown when the clock reaches its pts.
    Play,
}

/// Worker to UI.
#[derive(Debug)]
pub(super) enum Event {
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
