//! The threads behind a [`super::sound::Sound`]: `audio-load` decodes the clip and computes its
//! waveform peaks, then starts `audio-out`, which plays it on a sound device (through rodio), on
//! no device, or on a simulated one, serving the commands the UI sends and publishing where the
//! device is. Sound devices are opened once per process, each on a `sound-device` thread that
//! keeps it open.

use super::clock::TimeSource;
use super::sound::{AudioSource, Clip, SoundOutput};
use crate::media::{
    AudioSamples, MediaError, decode_audio_bytes, decode_audio_file, decode_audio_track, decode_audio_track_bytes,
    waveform_peaks,
};
use std::collections::HashMap;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Capacity of the command channel.
const COMMAND_CAPACITY: usize = 16;
/// Capacity of the event channel.
const EVENT_CAPACITY: usize = 8;
/// How often the output thread publishes the device's position while playing.
const PUBLISH_INTERVAL: Duration = Duration::from_millis(10);
/// How long the idle output thread waits before it looks at the stop flag again.
const IDLE_WAIT: Duration = Duration::from_millis(250);

/// The opened devices by id (`None`: the system's default), or why one could not be opened.
type Devices = HashMap<Option<String>, Result<rodio::mixer::Mixer, String>>;

/// UI to output thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Command {
    /// Play from `from` seconds.
    Play {
        from: f64,
        epoch: u64,
    },
    Pause,
    Seek {
        t: f64,
        epoch: u64,
    },
    Volume(f32),
}

impl Command {
    /// Commands of one group replace each other while they wait to be sent.
    pub(super) fn group(self) -> u8 {
        match self {
            Self::Play { .. } | Self::Pause => 0,
            Self::Seek { .. } => 1,
            Self::Volume(_) => 2,
        }
    }
}

/// Loader and output threads to UI.
#[derive(Debug)]
pub(super) enum Event {
    Loaded(Clip),
    /// The file has no audio stream (a silent video).
    NoTrack,
    /// Whether a device was opened (why not, when not).
    Device(Result<(), String>),
    /// The clip played to its end in `epoch`.
    Ended {
        epoch: u64,
    },
    Error(String),
}

/// Where the device is: `position` at `at`, moving `rate` seconds a second while `running`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Published {
    pub(super) epoch: u64,
    pub(super) position: f64,
    pub(super) at: Instant,
    pub(super) running: bool,
    pub(super) rate: f64,
    pub(super) volume: f32,
}

/// The UI's ends of a started loader.
pub(super) struct Spawned {
    pub(super) commands: SyncSender<Command>,
    pub(super) events: Receiver<Event>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) waker: Arc<OnceLock<egui::Context>>,
    pub(super) published: Arc<Mutex<Published>>,
    /// Why the loader thread could not start.
    pub(super) error: Option<String>,
}

/// Starts the `audio-load` thread on `source` (`peaks` waveform buckets; the output then plays on
/// `output`, which is not [`SoundOutput::Default`], at `volume`).
pub(super) fn spawn(source: AudioSource, peaks: usize, output: SoundOutput, volume: f32, time: &TimeSource) -> Spawned {
    let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
    let (event_tx, events) = sync_channel(EVENT_CAPACITY);
    let stop = Arc::new(AtomicBool::new(false));
    let waker = Arc::new(OnceLock::new());
    let published =
        Arc::new(Mutex::new(Published { epoch: 0, position: 0.0, at: time.now(), running: false, rate: 1.0, volume }));
    let shared = Shared {
        events: event_tx,
        stop: Arc::clone(&stop),
        waker: Arc::clone(&waker),
        published: Arc::clone(&published),
        time: time.clone(),
    };
    let spawned = std::thread::Builder::new()
        .name("audio-load".to_owned())
        .spawn(move || load(&source, peaks, output, volume, shared, command_rx));
    let error = spawned.err().map(|e| format!("cannot start the audio loader thread: {e}"));
    Spawned { commands, events, stop, waker, published, error }
}

/// What the loader and output threads share with the UI.
struct Shared {
    events: SyncSender<Event>,
    stop: Arc<AtomicBool>,
    waker: Arc<OnceLock<egui::Context>>,
    published: Arc<Mutex<Published>>,
    time: TimeSource,
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

    fn publish(&self, published: Published) {
        *self.published.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = published;
    }
}

fn decode(source: &AudioSource) -> Result<AudioSamples, MediaError> {
    match source {
        AudioSource::File(path) => decode_audio_file(path),
        AudioSource::Bytes { bytes, ext } => decode_audio_bytes(bytes, ext.as_deref()),
        AudioSource::VideoTrack(path) => decode_audio_track(path),
        AudioSource::VideoTrackBytes(bytes) => decode_audio_track_bytes(bytes),
    }
}

/// The `audio-load` thread: decode, peaks, then the output thread.
fn load(
    source: &AudioSource,
    peaks: usize,
    output: SoundOutput,
    volume: f32,
    shared: Shared,
    commands: Receiver<Command>,
) {
    let samples = match decode(source) {
        Ok(samples) => samples,
        Err(MediaError::NoStream { .. }) => {
            shared.emit(Event::NoTrack);
            return;
        }
        Err(e) => {
            shared.emit(Event::Error(e.to_string()));
            return;
        }
    };
    if shared.stopped() {
        return;
    }
    let clip = Clip {
        sample_rate: samples.sample_rate,
        channels: samples.channels,
        duration_s: samples.duration_s(),
        peaks: waveform_peaks(&samples, peaks),
    };
    if !shared.emit(Event::Loaded(clip)) || shared.stopped() {
        return;
    }
    let events = shared.events.clone();
    let spawned = std::thread::Builder::new()
        .name("audio-out".to_owned())
        .spawn(move || output_thread(samples, &output, volume, &shared, &commands));
    if let Err(e) = spawned {
        let _ = events.send(Event::Device(Err(format!("cannot start the audio output thread: {e}"))));
    }
}

/// The `audio-out` thread: opens the output and serves commands until the player is dropped.
fn output_thread(
    samples: AudioSamples,
    output: &SoundOutput,
    volume: f32,
    shared: &Shared,
    commands: &Receiver<Command>,
) {
    let device = match output {
        SoundOutput::Silent => Err("no sound device chosen".to_owned()),
        SoundOutput::Simulated { rate } => {
            if shared.emit(Event::Device(Ok(()))) {
                simulate(samples.duration_s(), *rate, volume, shared, commands);
            }
            return;
        }
        SoundOutput::Device(id) => mixer(Some(id)),
        SoundOutput::Default => mixer(None),
    };
    match device {
        Ok(mixer) => play_on(&mixer, samples, volume, shared, commands),
        Err(why) => {
            shared.emit(Event::Device(Err(why)));
        }
    }
}

/// Commands that piled up, coalesced: the last play/pause, seek and volume win.
#[derive(Debug, Default)]
struct Batch {
    play: Option<bool>,
    seek: Option<(f64, u64)>,
    volume: Option<f32>,
}

/// Waits up to `wait` for commands and takes all that are there; `None` once the player is gone.
fn next_batch(commands: &Receiver<Command>, wait: Duration, shared: &Shared) -> Option<Batch> {
    let first = match commands.recv_timeout(wait) {
        Ok(command) => Some(command),
        Err(RecvTimeoutError::Timeout) => None,
        Err(RecvTimeoutError::Disconnected) => return None,
    };
    if shared.stopped() {
        return None;
    }
    let mut batch = Batch::default();
    for command in first.into_iter().chain(std::iter::from_fn(|| commands.try_recv().ok())) {
        match command {
            Command::Play { from, epoch } => {
                batch.play = Some(true);
                batch.seek = Some((from, epoch));
            }
            Command::Pause => batch.play = Some(false),
            Command::Seek { t, epoch } => batch.seek = Some((t, epoch)),
            Command::Volume(v) => batch.volume = Some(v),
        }
    }
    Some(batch)
}

/// Plays the clip through rodio on `mixer`.
fn play_on(
    mixer: &rodio::mixer::Mixer,
    samples: AudioSamples,
    volume: f32,
    shared: &Shared,
    commands: &Receiver<Command>,
) {
    let (Some(channels), Some(rate)) = (NonZero::new(samples.channels), NonZero::new(samples.sample_rate)) else {
        shared.emit(Event::Device(Err("the clip has no samples".to_owned())));
        return;
    };
    let player = rodio::Player::connect_new(mixer);
    player.pause();
    player.set_volume(volume);
    let clip = rodio::buffer::SamplesBuffer::new(channels, rate, samples.samples);
    if !shared.emit(Event::Device(Ok(()))) {
        return;
    }
    let (mut playing, mut epoch) = (false, 0);
    while let Some(batch) = next_batch(commands, if playing { PUBLISH_INTERVAL } else { IDLE_WAIT }, shared) {
        if let Some(v) = batch.volume {
            player.set_volume(v);
        }
        if batch.play == Some(false) {
            player.pause();
            playing = false;
        }
        if let Some((t, e)) = batch.seek {
            if player.empty() {
                player.append(clip.clone());
            }
            // A buffer in memory always seeks; an error would only leave the position as it was.
            let _ = player.try_seek(Duration::from_secs_f64(t.max(0.0)));
            epoch = e;
        }
        if batch.play == Some(true) {
            if player.empty() {
                player.append(clip.clone());
            }
            player.play();
            playing = true;
        }
        let ended = playing && player.empty();
        if ended {
            playing = false;
            player.pause();
        }
        shared.publish(Published {
            epoch,
            position: player.get_pos().as_secs_f64(),
            at: shared.time.now(),
            running: playing,
            rate: 1.0,
            volume: player.volume(),
        });
        if ended && !shared.emit(Event::Ended { epoch }) {
            return;
        }
    }
}

/// A device that plays on the time source at `rate`, for tests: its position is published as
/// a line (position at a time, rate), so a reader finds it exactly wherever the time stands.
fn simulate(duration: f64, rate: f64, volume: f32, shared: &Shared, commands: &Receiver<Command>) {
    let mut now = shared.time.now();
    let mut p = Published { epoch: 0, position: 0.0, at: now, running: false, rate, volume };
    let at = |p: &Published, now: Instant| {
        if p.running { p.position + now.saturating_duration_since(p.at).as_secs_f64() * p.rate } else { p.position }
    };
    shared.publish(p);
    while let Some(batch) = next_batch(commands, if p.running { PUBLISH_INTERVAL } else { IDLE_WAIT }, shared) {
        now = shared.time.now();
        (p.position, p.at) = (at(&p, now), now);
        if let Some(v) = batch.volume {
            p.volume = v;
        }
        if batch.play == Some(false) {
            p.running = false;
        }
        if let Some((t, e)) = batch.seek {
            (p.position, p.epoch) = (t.clamp(0.0, duration), e);
        }
        if batch.play == Some(true) {
            p.running = true;
        }
        let ended = p.running && at(&p, now) >= duration;
        if ended {
            (p.position, p.running) = (duration, false);
        }
        shared.publish(p);
        if ended && !shared.emit(Event::Ended { epoch: p.epoch }) {
            return;
        }
    }
}

/// The mixer of a sound device (`None`: the system's default), opened once per process.
fn mixer(id: Option<&str>) -> Result<rodio::mixer::Mixer, String> {
    static OPENED: OnceLock<Mutex<Devices>> = OnceLock::new();
    let mut opened = OPENED.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let key = id.map(str::to_owned);
    if let Some(known) = opened.get(&key) {
        return known.clone();
    }
    // Other players wait on the lock while the device opens: they would open the same one.
    let result = open_device(key.clone());
    opened.insert(key, result.clone());
    result
}

/// Opens a device on a `sound-device` thread that then keeps it open for the process's life.
fn open_device(id: Option<String>) -> Result<rodio::mixer::Mixer, String> {
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("sound-device".to_owned())
        .spawn(move || {
            let sink = match &id {
                None => rodio::DeviceSinkBuilder::open_default_sink().map_err(|e| e.to_string()),
                Some(id) => device_by_id(id)
                    .and_then(|d| rodio::DeviceSinkBuilder::from_device(d).map_err(|e| e.to_string()))
                    .and_then(|b| b.open_stream().map_err(|e| e.to_string())),
            };
            match sink {
                Ok(mut sink) => {
                    sink.log_on_drop(false);
                    if tx.send(Ok(sink.mixer().clone())).is_ok() {
                        loop {
                            std::thread::park();
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        })
        .map_err(|e| format!("cannot start the sound device thread: {e}"))?;
    rx.recv().map_err(|_| "the sound device thread stopped".to_owned())?
}

/// The output device whose cpal id is `id` (`alsa:null`).
fn device_by_id(id: &str) -> Result<rodio::Device, String> {
    use rodio::cpal::traits::{DeviceTrait, HostTrait};
    rodio::cpal::default_host()
        .output_devices()
        .map_err(|e| e.to_string())?
        .find(|d| d.id().is_ok_and(|d| d.to_string() == id))
        .ok_or_else(|| format!("no sound device {id}"))
}
