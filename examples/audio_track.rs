//! How long a video's sound takes to become playable: the whole audio track decoded with `FFmpeg`
//! (what a video player's `audio-load` thread does before the sound can start).
//!
//! `cargo run --example audio_track -- VIDEO...` prints, per file, the track's length, its decoded
//! size and the decode time (best of three).

use std::time::Instant;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: audio_track VIDEO...");
        std::process::exit(2);
    }
    for path in paths {
        let mut best = f64::INFINITY;
        let mut facts = None;
        for _ in 0..3 {
            let start = Instant::now();
            match verdict::media::decode_audio_track(std::path::Path::new(&path)) {
                Ok(audio) => {
                    best = best.min(start.elapsed().as_secs_f64());
                    facts = Some((audio.duration_s(), audio.sample_rate, audio.channels, audio.samples.len() * 4));
                }
                Err(e) => {
                    eprintln!("{path}: {e}");
                    break;
                }
            }
        }
        if let Some((seconds, rate, channels, bytes)) = facts {
            println!(
                "{path}: {seconds:.1} s at {rate} Hz x{channels}, {:.1} MB decoded in {:.3} s ({:.0}x real time)",
                bytes as f64 / 1e6,
                best,
                seconds / best
            );
        }
    }
}
