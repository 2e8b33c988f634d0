//! Media players for the sample view: video (files and frame directories) and audio.

pub mod audio_player;
pub mod video_player;

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
