//! The clocks the players run on: a time source that tests drive by hand, and the playback clock
//! a video keeps with its sound.
//!
//! A playing video's clock runs from the time source (real elapsed time), and while its sound
//! plays it follows the sound's clock ([`PlaybackClock::follow`]): small differences are slewed
//! away over [`SLEW_TIME`] so the picture never stutters; a sound further behind (a device that
//! started late) is waited for, by a jump back, once two reports of the device in a row show the
//! same lag (a stalled device's lag grows); and a sound further ahead, or too far behind, has a
//! clock no device should have (a null device takes samples as fast as it is given them; a
//! stalled one) and is reported as diverged, so that the player starts the sound again at the
//! picture's position instead of following it. The picture never jumps ahead to the sound.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Differences up to this (seconds) are slewed away.
pub const SNAP_S: f64 = 0.1;
/// Two lags this close (seconds) are the same one: the sound started late.
const SAME_LAG_S: f64 = 0.05;
/// A sound further behind than this (seconds) is not followed.
pub const MAX_LAG_S: f64 = 0.5;
/// The time over which a small difference is slewed away (seconds of playback).
pub const SLEW_TIME: f64 = 0.25;

/// Where a player reads the time: the system's monotonic clock, or one driven by hand
/// ([`TimeSource::manual`], [`TimeSource::advance`]) so that a test can simulate playback
/// without depending on how fast the machine is.
#[derive(Debug, Clone, Default)]
pub struct TimeSource {
    manual: Option<Arc<Manual>>,
}

#[derive(Debug)]
struct Manual {
    base: Instant,
    offset_ns: AtomicU64,
}

impl TimeSource {
    /// The system's monotonic clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that stands still until [`TimeSource::advance`] moves it; clones share it.
    pub fn manual() -> Self {
        Self { manual: Some(Arc::new(Manual { base: Instant::now(), offset_ns: AtomicU64::new(0) })) }
    }

    /// Whether this clock is driven by hand.
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// The time now.
    pub fn now(&self) -> Instant {
        match &self.manual {
            Some(m) => m.base + Duration::from_nanos(m.offset_ns.load(Ordering::SeqCst)),
            None => Instant::now(),
        }
    }

    /// Moves a manual clock forward; the system clock cannot be moved, so this does nothing there.
    pub fn advance(&self, by: Duration) {
        if let Some(m) = &self.manual {
            let ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            m.offset_ns.fetch_add(ns, Ordering::SeqCst);
        }
    }
}

/// What [`PlaybackClock::follow`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// Within a millisecond of the sound: nothing to do.
    InStep,
    /// A small difference, slewed by a part of it.
    Nudged,
    /// The sound more than [`SNAP_S`] behind, seen for the first time: not followed yet.
    Waiting,
    /// The same lag seen again: the clock jumped back to the sound's position.
    Snapped,
    /// The sound more than [`SNAP_S`] ahead, or [`MAX_LAG_S`] behind: not followed.
    Diverged,
}

/// A media position that runs with the time while playing.
#[derive(Debug, Clone, Default)]
pub struct PlaybackClock {
    /// The position at `anchor`, or the position while stopped.
    position: f64,
    /// When it started running (`None`: stopped).
    anchor: Option<Instant>,
    /// When it last followed the sound (the time a slew is spread over).
    followed_at: Option<Instant>,
    /// A lag over [`SNAP_S`] seen at the last look, and when the device reported it.
    lag: Option<(f64, Instant)>,
}

impl PlaybackClock {
    /// The position at `now`.
    pub fn at(&self, now: Instant) -> f64 {
        match self.anchor {
            Some(anchor) => self.position + now.saturating_duration_since(anchor).as_secs_f64(),
            None => self.position,
        }
    }

    /// Whether it runs.
    pub fn is_running(&self) -> bool {
        self.anchor.is_some()
    }

    /// Starts running from where it stands (nothing when it already runs).
    pub fn start(&mut self, now: Instant) {
        if self.anchor.is_none() {
            self.anchor = Some(now);
            (self.followed_at, self.lag) = (None, None);
        }
    }

    /// Stops where it is at `now`.
    pub fn stop(&mut self, now: Instant) {
        self.position = self.at(now);
        self.anchor = None;
    }

    /// Moves to `t`; keeps running if it ran.
    pub fn set(&mut self, t: f64, now: Instant) {
        self.position = t;
        if self.anchor.is_some() {
            self.anchor = Some(now);
        }
        (self.followed_at, self.lag) = (None, None);
    }

    /// Follows the sound, whose position at `now` is `sound`, from the device's report at
    /// `reported` (see the module docs). A lag over [`SNAP_S`] is followed only when a later
    /// report shows it again. A stopped clock does not follow.
    pub fn follow(&mut self, sound: f64, reported: Instant, now: Instant) -> Follow {
        if self.anchor.is_none() {
            return Follow::InStep;
        }
        let error = sound - self.at(now);
        let since = self.followed_at.replace(now).unwrap_or(now);
        let lag = self.lag.take();
        if !(-MAX_LAG_S..=SNAP_S).contains(&error) {
            return Follow::Diverged;
        }
        if error < -SNAP_S {
            match lag {
                Some((seen, at)) if at != reported && (seen - error).abs() <= SAME_LAG_S => {
                    self.set(sound, now);
                    self.followed_at = Some(now);
                    return Follow::Snapped;
                }
                // The same report again: still the first sighting.
                Some((seen, at)) if at == reported => self.lag = Some((seen, at)),
                _ => self.lag = Some((error, reported)),
            }
            return Follow::Waiting;
        }
        if error.abs() < 1e-3 {
            return Follow::InStep;
        }
        // A part of the difference in proportion to the time since the last look, so that the
        // slew takes SLEW_TIME whatever the frame rate; under SLEW_TIME of difference the clock
        // still moves forward.
        let part = (now.saturating_duration_since(since).as_secs_f64() / SLEW_TIME).min(1.0);
        self.position += error * part;
        Follow::Nudged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_manual_time_source_moves_only_when_advanced_and_clones_share_it() {
        let time = TimeSource::manual();
        let copy = time.clone();
        let start = time.now();
        std::thread::sleep(ms(2));
        assert_eq!(time.now(), start);
        copy.advance(ms(250));
        assert_eq!(time.now() - start, ms(250));
        assert!(!TimeSource::system().is_manual() && time.is_manual());
    }

    #[test]
    fn the_clock_runs_stops_and_moves() {
        let t0 = Instant::now();
        let mut clock = PlaybackClock::default();
        assert!((clock.at(t0 + ms(500)) - 0.0).abs() < 1e-12, "stopped: stands still");
        clock.start(t0);
        assert!((clock.at(t0 + ms(500)) - 0.5).abs() < 1e-9);
        clock.stop(t0 + ms(500));
        assert!((clock.at(t0 + ms(900)) - 0.5).abs() < 1e-9);
        clock.set(2.0, t0 + ms(900));
        clock.start(t0 + ms(1000));
        assert!((clock.at(t0 + ms(1100)) - 2.1).abs() < 1e-9);
        clock.set(1.0, t0 + ms(1100));
        assert!((clock.at(t0 + ms(1300)) - 1.2).abs() < 1e-9, "a move keeps it running");
    }

    /// A sound device whose clock runs 2% fast and whose reported position moves in 10 ms steps
    /// (as a device takes samples a buffer at a time): the video's clock follows it within a
    /// frame, moves forward at every frame, and would have drifted 200 ms on its own.
    #[test]
    fn the_clock_follows_a_drifting_stepping_sound_clock() {
        let t0 = Instant::now();
        let mut clock = PlaybackClock::default();
        clock.start(t0);
        let sound_at = |elapsed: f64| ((elapsed * 1.02) / 0.010).floor() * 0.010;
        let mut last = 0.0;
        let mut worst: f64 = 0.0;
        for frame in 1..=600 {
            // 60 frames a second for 10 s.
            let elapsed = f64::from(frame) / 60.0;
            let now = t0 + Duration::from_secs_f64(elapsed);
            let follow = clock.follow(sound_at(elapsed), now, now);
            assert_ne!(follow, Follow::Diverged);
            let t = clock.at(now);
            assert!(t > last, "frame {frame}: the clock went back from {last} to {t}");
            last = t;
            if frame > 60 {
                worst = worst.max((t - elapsed * 1.02).abs());
            }
        }
        assert!(worst < 0.02, "the clock is {worst} s off the sound");
        assert!((last - 10.0).abs() > 0.15, "the sound ran 2% fast: following it moved the clock");
    }

    #[test]
    fn a_late_sound_is_waited_for_and_a_runaway_or_stalled_one_is_not_followed() {
        let t0 = Instant::now();
        let mut clock = PlaybackClock::default();
        clock.start(t0);
        // The sound started 200 ms late: seen once, then again, then waited for.
        assert_eq!(clock.follow(0.3, t0 + ms(500), t0 + ms(500)), Follow::Waiting);
        assert!((clock.at(t0 + ms(500)) - 0.5).abs() < 1e-9);
        assert_eq!(clock.follow(0.32, t0 + ms(520), t0 + ms(520)), Follow::Snapped);
        assert!((clock.at(t0 + ms(520)) - 0.32).abs() < 1e-9);
        // One report looked at twice is one sighting.
        clock.set(0.72, t0 + ms(520));
        let report = t0 + ms(515);
        assert_eq!(clock.follow(0.52, report, t0 + ms(520)), Follow::Waiting);
        assert_eq!(clock.follow(0.52, report, t0 + ms(520)), Follow::Waiting);
        // A stalled sound: its lag grows, so it is not jumped to, and then it is too far behind.
        clock.set(0.32, t0 + ms(520));
        assert_eq!(clock.follow(0.2, t0 + ms(540), t0 + ms(540)), Follow::Waiting);
        assert_eq!(clock.follow(0.2, t0 + ms(640), t0 + ms(640)), Follow::Waiting);
        assert_eq!(clock.follow(0.2, t0 + ms(950), t0 + ms(950)), Follow::Diverged);
        assert!((clock.at(t0 + ms(950)) - 0.75).abs() < 1e-9, "not followed");
        // A sound ahead of the picture: a device taking samples faster than it plays them.
        clock.set(0.36, t0 + ms(560));
        assert_eq!(clock.follow(0.52, t0 + ms(560), t0 + ms(560)), Follow::Diverged);
        assert_eq!(clock.follow(0.74, t0 + ms(560), t0 + ms(560)), Follow::Diverged);
        assert!((clock.at(t0 + ms(560)) - 0.36).abs() < 1e-9, "not followed");
        // A null device: the whole clip "played" at once.
        assert_eq!(clock.follow(30.0, t0 + ms(580), t0 + ms(580)), Follow::Diverged);
        assert!((clock.at(t0 + ms(580)) - 0.38).abs() < 1e-9, "the clock kept its own time");
        assert_eq!(clock.follow(f64::NAN, t0 + ms(590), t0 + ms(590)), Follow::Diverged);
        // Stopped: nothing to follow.
        clock.stop(t0 + ms(600));
        assert_eq!(clock.follow(5.0, t0 + ms(700), t0 + ms(700)), Follow::InStep);
        assert!((clock.at(t0 + ms(700)) - 0.4).abs() < 1e-9);
    }
}
