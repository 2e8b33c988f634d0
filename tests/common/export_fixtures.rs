//! Datasets for the export tests of forms, margins and videos, written into a workspace: sharegpt
//! conversations with system messages and earlier turns, LLaVA-DPO pairs with their scores, a
//! column mapping with per-response scores, and videos as a file and as a frame folder.

use super::{Workspace, jpeg};
use std::path::PathBuf;

/// A LLaMA-Factory sharegpt JSONL file: a system message then the prompt (line 1), earlier turns
/// (line 2), a plain prompt (line 3), and a system message with earlier turns (line 4).
pub fn conversations(ws: &Workspace) -> PathBuf {
    let row = |turns: serde_json::Value, c: &str, r: &str| {
        serde_json::json!({"conversations": turns, "chosen": {"from": "gpt", "value": c}, "rejected": {"from": "gpt", "value": r}})
            .to_string()
            + "\n"
    };
    let text = [
        row(
            serde_json::json!([{"from": "system", "value": "Answer in one word."}, {"from": "human", "value": "system question"}]),
            "system good",
            "system bad",
        ),
        row(
            serde_json::json!([{"from": "human", "value": "first turn"}, {"from": "gpt", "value": "first answer"}, {"from": "human", "value": "turns question"}]),
            "turns good",
            "turns bad",
        ),
        row(serde_json::json!([{"from": "human", "value": "plain question"}]), "plain good", "plain bad"),
        row(
            serde_json::json!([{"from": "system", "value": "Be kind."}, {"from": "human", "value": "hello"}, {"from": "gpt", "value": "hi"}, {"from": "human", "value": "both question"}]),
            "both good",
            "both bad",
        ),
    ]
    .concat();
    ws.write("conversations.jsonl", text)
}

/// The LLaVA-DPO layout (`prompt`, `answer`, `chosen`, `rejected`, `chosen_score`,
/// `rejected_score`), text only: `(question, chosen score, rejected score)` per row.
pub const SCORED: [(&str, f64, f64); 3] =
    [("scored question 0", 4.5, 1.0), ("scored question 1", 3.0, 2.25), ("scored question 2", 5.0, 0.5)];

/// Writes [`SCORED`] as `llava_dpo.jsonl`.
pub fn scored_pairs(ws: &Workspace) -> PathBuf {
    let text: String = SCORED
        .iter()
        .enumerate()
        .map(|(i, (q, c, r))| {
            serde_json::json!({"id": format!("s{i}"), "prompt": q, "answer": "reference", "chosen": format!("scored good {i}"),
                               "rejected": format!("scored bad {i}"), "chosen_score": c, "rejected_score": r})
                .to_string()
                + "\n"
        })
        .collect();
    ws.write("llava_dpo.jsonl", text)
}

/// Three candidates per row with one score each: `(question, [score of candidate 0, 1, 2])`.
pub const RANKED: [(&str, [f64; 3]); 2] =
    [("ranked question 0", [2.0, 7.5, 4.0]), ("ranked question 1", [1.0, 3.0, 9.0])];

/// Writes [`RANKED`] as `ranked.jsonl` and its column mapping (`scores = "scores"`).
pub fn scored_ranking(ws: &Workspace) -> (PathBuf, PathBuf) {
    let text: String = RANKED
        .iter()
        .map(|(q, scores)| {
            serde_json::json!({"question": q, "candidates": (0..3).map(|i| format!("{q} answer {i}")).collect::<Vec<_>>(), "scores": scores})
                .to_string()
                + "\n"
        })
        .collect();
    let data = ws.write("ranked.jsonl", text);
    let mapping =
        ws.write("ranked.toml", "prompt = \"question\"\nresponses_list = \"candidates\"\nscores = \"scores\"\n");
    (data, mapping)
}

/// A video file (LLaVA-DPO layout, `clip.mp4`, 2 rows) and a frame folder (LLaVA-Hound layout,
/// `frames/ball` with 3 JPEG frames, 2 rows): the two data files.
pub fn videos(ws: &Workspace) -> (PathBuf, PathBuf) {
    let clip = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4"),
    )
    .expect("the committed video fixture");
    ws.write("clip.mp4", clip);
    for i in 0..3u8 {
        ws.write(&format!("frames/ball/frame_{i:04}.jpg"), jpeg(32, 24, 40 * i));
    }
    let rows = |name: &str, video: &str, extra: &[(&str, &str)]| -> String {
        (0..2)
            .map(|i| {
                let mut row = serde_json::json!({"id": format!("{name}{i}"), "prompt": format!("<video>\n{name} question {i}"),
                    "chosen": format!("{name} good {i}"), "rejected": format!("{name} bad {i}"), "video": video,
                    "chosen_score": 4, "rejected_score": 1});
                for (k, v) in extra {
                    row[*k] = serde_json::json!(v);
                }
                row.to_string() + "\n"
            })
            .collect()
    };
    let file = ws.write("video_file.jsonl", rows("file", "clip.mp4", &[("answer", "reference")]));
    let frames = ws.write("video_frames.jsonl", rows("frames", "frames/ball", &[]));
    (file, frames)
}
