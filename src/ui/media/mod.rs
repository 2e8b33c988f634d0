//! Media players for the sample view: video (files and frame directories, with their sound) and
//! audio, and what the player keys ([`MediaKey`](crate::ui::commands::MediaKey)) do in each.

pub mod audio_player;
pub mod clock;
pub mod sound;
mod sound_output;
pub mod video_player;
mod video_worker;

/// Seconds the audio player moves for ← / →.
pub const AUDIO_STEP_S: f64 = 1.0;
/// Seconds the audio player moves for Shift+← / Shift+→.
pub const AUDIO_BIG_STEP_S: f64 = 5.0;
/// Seconds the video player moves for Shift+← / Shift+→ (← / → move one frame).
pub const VIDEO_BIG_STEP_S: f64 = 1.0;

/// The mute button's text: what it does (egui's default fonts have no speaker symbols).
fn mute_label(muted: bool) -> &'static str {
    if muted { "Unmute" } else { "Mute" }
}

use std::collections::VecDeque;
use std::sync::mpsc::{SyncSender, TrySendError};

/// Sends queued commands to a player's worker without blocking the UI thread: what the bounded
/// channel does not take now stays queued for the next frame; a worker that is gone (it reported
/// why, or failed to start) gets nothing.
fn flush_outbox<C>(outbox: &mut VecDeque<C>, commands: &SyncSender<C>) {
    while let Some(command) = outbox.pop_front() {
        match commands.try_send(command) {
            Ok(()) => {}
            Err(TrySendError::Full(command)) => {
                outbox.push_front(command);
                return;
            }
            Err(TrySendError::Disconnected(_)) => {
                outbox.clear();
                return;
            }
        }
    }
}

/// Test helpers shared by the players' tests.
#[cfg(test)]
pub(crate) mod test_util {
    use egui_kittest::Harness;
    use std::time::{Duration, Instant};

    /// Steps the harness (with short sleeps) until `done`, for at most 10 s.
    pub(crate) fn pump<S>(harness: &mut Harness<'_, S>, done: impl Fn(&S) -> bool) -> bool {
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
}
