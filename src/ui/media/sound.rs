//! Sound for the players: a clip (or a video's audio track) decoded on a loader thread, then
//! played on a sound device from an output thread. The audio player and the video player both
//! hold a [`Sound`].
//!
//! - **Threads.** `audio-load` decodes the whole clip (`FFmpeg` for the audio track of a video:
//!   rodio's own decoders truncate AAC inside MP4) and computes waveform peaks, then starts
//!   `audio-out`, which owns a rodio `Player` for the clip and serves play/pause/seek/volume
//!   commands from a bounded channel. A sound device is opened once per process on its own
//!   thread (`sound-device`, which keeps it open: rodio's device sink must stay on the thread
//!   that opened it), and every player's output is mixed into it.
//! - **Clock.** The output thread publishes where the device is (position, when, running) about
//!   every 10 ms; [`Sound::clock`] extrapolates that to now. Every play and seek
//!   bumps an *epoch*, so a position or an end published for an older one is never believed.
//! - **No device.** Opening the device fails on a machine with no sound card: playback is then
//!   unavailable ([`Sound::available`] is `Some(false)`), and nothing else changes — a video
//!   and an audio clip play silently, each on its own clock.
//! - **Outputs.** [`SoundOutput`] picks the device: the app's default, a device by id
//!   (`alsa:null`, ALSA's null device, which takes samples as fast as they come and has no
//!   clock), none, or a simulated device that plays on the player's [`TimeSource`] (tests).
//! - **Mute** sets the output's volume to zero and keeps it playing, so its clock goes on.
//!   The last mute choice is kept for the next players (from sample to sample).
//!
//! Dropping a `Sound` sets a stop flag and drops the channels: both threads exit on their own
//! and are never joined.

use super::clock::TimeSource;
use super::sound_output::{self, Command, Event, Published, Spawned};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long one `poll` may spend draining events.
const DRAIN_BUDGET: Duration = Duration::from_millis(10);
/// The notice shown when no sound device could be opened.
pub const NO_DEVICE_NOTICE: &str = "No sound device: plays silently";
/// The environment variable that picks the app's sound device: `none`, or a device id.
pub const DEVICE_ENV: &str = "VERDICT_SOUND_DEVICE";

/// The mute choice new players start with: the last one made.
static LAST_MUTE: AtomicBool = AtomicBool::new(false);
/// The app's device, when [`set_default_output`] chose one.
static DEFAULT_OUTPUT: Mutex<Option<SoundOutput>> = Mutex::new(None);

/// Which sound device a player plays on.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum SoundOutput {
    /// The app's device: the one [`set_default_output`] chose, else [`DEVICE_ENV`] (`none`, or
    /// a device id), else the system's default device.
    #[default]
    Default,
    /// A device by its id (`alsa:null`).
    Device(String),
    /// No device: playback is unavailable (a video plays silently).
    Silent,
    /// A simulated device for tests: it plays on the player's [`TimeSource`], its clock running
    /// `rate` times as fast (1.02: a device 2% fast).
    Simulated {
        /// Device seconds per second of the time source.
        rate: f64,
    },
}

/// Chooses the device [`SoundOutput::Default`] means for the players made from now on.
pub fn set_default_output(output: SoundOutput) {
    let mut slot = DEFAULT_OUTPUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = (output != SoundOutput::Default).then_some(output);
}

/// [`SoundOutput::Default`] resolved; `None` is the system's default device.
fn resolve(output: &SoundOutput) -> SoundOutput {
    if *output != SoundOutput::Default {
        return output.clone();
    }
    if let Some(chosen) = DEFAULT_OUTPUT.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone() {
        return chosen;
    }
    match std::env::var(DEVICE_ENV) {
        Ok(v) if v.eq_ignore_ascii_case("none") => SoundOutput::Silent,
        Ok(v) if !v.trim().is_empty() && !v.eq_ignore_ascii_case("default") => SoundOutput::Device(v.trim().to_owned()),
        _ => SoundOutput::Default,
    }
}

/// How a player is made: its sound device, its time source and whether it starts muted.
#[derive(Debug, Clone, Default)]
pub struct PlayerOptions {
    /// The sound device.
    pub output: SoundOutput,
    /// The time the player's clock runs on.
    pub time: TimeSource,
    /// Start muted or not; `None`: as the last player was left.
    pub muted: Option<bool>,
}

/// Where a [`Sound`] reads its clip from.
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
    /// The audio track of a video file held in memory.
    VideoTrackBytes(Arc<Vec<u8>>),
}

/// The decoded clip's facts and waveform peaks.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// Samples per second.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Length in seconds.
    pub duration_s: f64,
    /// Min/max per bucket (as many as asked for; none for a video's sound).
    pub peaks: Vec<(f32, f32)>,
}

/// A clip and its playback (see the module docs).
pub struct Sound {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    published: Arc<Mutex<Published>>,
    time: TimeSource,
    /// Commands the full channel did not take yet (coalesced).
    outbox: VecDeque<Command>,
    clip: Option<Arc<Clip>>,
    no_track: bool,
    device: Option<Result<(), String>>,
    error: Option<String>,
    epoch: u64,
    playing: bool,
    /// The position while not playing (and until the device says where it is).
    position: f64,
    muted: bool,
}

impl std::fmt::Debug for Sound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sound")
            .field("clip", &self.clip.as_ref().map(|c| (c.sample_rate, c.channels, c.duration_s)))
            .field("no_track", &self.no_track)
            .field("device", &self.device)
            .field("error", &self.error)
            .field("playing", &self.playing)
            .field("position", &self.position_s())
            .field("muted", &self.muted)
            .finish_non_exhaustive()
    }
}

impl Sound {
    /// Starts the loader thread, which decodes `source` with `peaks` waveform buckets (0: none)
    /// and then opens the output. Returns at once.
    pub fn new(source: AudioSource, peaks: usize, options: &PlayerOptions) -> Self {
        let muted = options.muted.unwrap_or_else(|| LAST_MUTE.load(Ordering::Relaxed));
        let output = resolve(&options.output);
        let Spawned { commands, events, stop, waker, published, error } =
            sound_output::spawn(source, peaks, output, if muted { 0.0 } else { 1.0 }, &options.time);
        Self {
            commands,
            events,
            stop,
            waker,
            published,
            time: options.time.clone(),
            outbox: VecDeque::new(),
            clip: None,
            no_track: false,
            device: None,
            error,
            epoch: 0,
            playing: false,
            position: 0.0,
            muted,
        }
    }

    /// Sends what waits and drains the threads' events (for at most [`DRAIN_BUDGET`]).
    /// Returns whether playback became available in this call.
    pub fn poll(&mut self, ctx: &egui::Context) -> bool {
        let _ = self.waker.set(ctx.clone());
        self.flush();
        let start = Instant::now();
        let mut became_available = false;
        while start.elapsed() < DRAIN_BUDGET {
            match self.events.try_recv() {
                Ok(Event::Loaded(clip)) => self.clip = Some(Arc::new(clip)),
                Ok(Event::NoTrack) => self.no_track = true,
                Ok(Event::Device(result)) => {
                    became_available |= result.is_ok();
                    self.device = Some(result);
                }
                Ok(Event::Ended { epoch }) => {
                    if self.playing && epoch == self.epoch {
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
        became_available
    }

    /// The decoded clip, once loaded.
    pub fn clip(&self) -> Option<&Arc<Clip>> {
        self.clip.as_ref()
    }

    /// Whether there is a sound: `None` while loading, `Some(false)` for a file with no audio
    /// stream or one that failed to decode.
    pub fn has_track(&self) -> Option<bool> {
        if self.no_track || self.error.is_some() {
            return Some(false);
        }
        self.clip.as_ref().map(|_| true)
    }

    /// Whether the clip can be played: `None` until known, `Some(false)` with no device (or no
    /// track).
    pub fn available(&self) -> Option<bool> {
        if self.has_track() == Some(false) {
            return Some(false);
        }
        self.device.as_ref().map(Result::is_ok)
    }

    /// The length in seconds, once loaded.
    pub fn duration_s(&self) -> Option<f64> {
        self.clip.as_ref().map(|c| c.duration_s)
    }

    /// Why the clip could not be decoded.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether it plays.
    pub fn is_playing(&self) -> bool {
        self.playing
    }

    /// Whether it is muted.
    pub fn is_muted(&self) -> bool {
        self.muted
    }

    /// Whether commands wait to be sent or the clip is still loading (repaint soon).
    pub fn is_busy(&self) -> bool {
        !self.outbox.is_empty() || self.available().is_none()
    }

    /// Plays from `from` seconds. Returns `false` (and only moves the position) when playback
    /// is unavailable.
    pub fn play(&mut self, from: f64) -> bool {
        self.position = self.clamp(from);
        if self.available() != Some(true) {
            return false;
        }
        self.epoch += 1;
        self.playing = true;
        self.send(Command::Play { from: self.position, epoch: self.epoch });
        true
    }

    /// Pauses where it is.
    pub fn pause(&mut self) {
        if self.playing {
            self.position = self.position_s();
            self.playing = false;
            self.send(Command::Pause);
        }
    }

    /// Moves to `t` seconds (clamped to the clip); keeps playing if it was.
    pub fn seek(&mut self, t: f64) {
        self.position = self.clamp(t);
        self.epoch += 1;
        if self.available() == Some(true) {
            self.send(Command::Seek { t: self.position, epoch: self.epoch });
        }
    }

    /// Mutes or unmutes (the output keeps playing); new players start the same way.
    pub fn set_muted(&mut self, muted: bool) {
        self.muted = muted;
        LAST_MUTE.store(muted, Ordering::Relaxed);
        self.send(Command::Volume(if muted { 0.0 } else { 1.0 }));
    }

    /// The device's position now, while it plays what was last asked (`None` before it
    /// started, after it ended, while paused, or with no device).
    pub fn clock(&self) -> Option<f64> {
        self.report().map(|(t, _)| t)
    }

    /// [`Sound::clock`], with the time of the device's report it was extrapolated from.
    pub fn report(&self) -> Option<(f64, Instant)> {
        let p = *self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (self.playing && p.running && p.epoch == self.epoch).then(|| {
            let t = p.position + self.time.now().saturating_duration_since(p.at).as_secs_f64() * p.rate;
            (self.clamp(t), p.at)
        })
    }

    /// The playback position in seconds: the device's while it plays.
    pub fn position_s(&self) -> f64 {
        if self.playing { self.clock().unwrap_or(self.position) } else { self.position }
    }

    /// The volume the output was last set to (0 muted, 1 not), as it reported it.
    pub fn output_volume(&self) -> f32 {
        self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner).volume
    }

    fn clamp(&self, t: f64) -> f64 {
        let t = if t.is_finite() { t.max(0.0) } else { 0.0 };
        self.duration_s().map_or(t, |d| t.min(d))
    }

    /// Queues a command, replacing an unsent one of its group, and sends what the channel takes.
    fn send(&mut self, command: Command) {
        self.outbox.retain(|c| c.group() != command.group());
        self.outbox.push_back(command);
        self.flush();
    }

    fn flush(&mut self) {
        super::flush_outbox(&mut self.outbox, &self.commands);
    }
}

impl Drop for Sound {
    fn drop(&mut self) {
        // The threads see the flag or the closed channels and exit; never joined.
        self.stop.store(true, Ordering::Relaxed);
    }
}
