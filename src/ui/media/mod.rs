//! Media players for the sample view: video (files and frame directories) and audio.

pub mod audio_player;
pub mod video_player;
