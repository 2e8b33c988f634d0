//! The real readers: HF `datasets` loads each TRL, LLaMA-Factory and OpenRLHF export, JSONL and
//! Parquet, as the trainers would (TRL's own data utilities check the rows; LLaMA-Factory's own
//! `dataset_info.json` parser and sharegpt converter take them, frame lists and video files
//! alike; OpenRLHF's `preprocess_data` reads both its forms), and its images decode to the
//! right sizes. The Python environment comes from `scripts/python-env.sh` (the README's test
//! command makes it and sets `VERDICT_PYTHON`).

mod common;
use common::export_fixtures;
use common::{Workspace, jpeg, png, stdout, write_rlaif_parquet};
use std::path::{Path, PathBuf};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VERDICT_PYTHON") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python");
    assert!(
        local.is_file(),
        "the export readers' Python environment is missing: run scripts/test.sh (or scripts/python-env.sh) first"
    );
    local
}

/// Each fixture question and the size of its image, if it has one.
type Expected = Vec<(String, Option<(u32, u32)>)>;

/// The fixture: embedded JPEGs, PNG files, and text-only pairs.
fn project(ws: &Workspace) -> (PathBuf, Expected) {
    let sizes = [(33, 21), (64, 48), (17, 90)];
    let rows: Vec<(String, String, String, Option<Vec<u8>>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, (w, h))| {
            (format!("embedded question {i}"), format!("yes {i}"), format!("no {i}"), Some(jpeg(*w, *h, i as u8)))
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        rows.iter().map(|(q, c, r, b)| (q.as_str(), c.as_str(), r.as_str(), b.clone())).collect();
    let parquet = ws.path("rlaif.parquet");
    write_rlaif_parquet(&parquet, &borrowed, 2);
    let mut expected: Expected =
        sizes.iter().enumerate().map(|(i, s)| (format!("embedded question {i}"), Some(*s))).collect();
    let mut jsonl = String::new();
    for (i, (w, h)) in [(40u32, 30u32), (25, 50)].iter().enumerate() {
        ws.write(&format!("img/{i}.png"), png(*w, *h));
        let q = format!("file question {i}");
        jsonl += &(serde_json::json!({"prompt": format!("<image>\n{q}"), "chosen": "a", "rejected": "b", "image": format!("img/{i}.png")}).to_string() + "\n");
        expected.push((q, Some((*w, *h))));
    }
    let paths = ws.write("mm_rlhf.jsonl", jsonl);
    let text = ws.write("text.jsonl", "{\"prompt\": \"text question 0\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
    expected.push(("text question 0".into(), None));
    let project = ws.project();
    for f in [&parquet, &paths, &text] {
        common::import(&project, f);
    }
    (project, expected)
}

fn read(target: &str, dir: &Path, what: &str) -> serde_json::Value {
    let o = std::process::Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_export.py"))
        .args([target, dir.to_str().expect("utf8"), what])
        .output()
        .expect("runs python");
    assert!(o.status.success(), "{target} refused {}:\n{}", dir.display(), common::stderr(&o));
    serde_json::from_str(stdout(&o).trim()).expect("the checker prints JSON")
}

fn check(seen: &serde_json::Value, expected: &[(String, Option<(u32, u32)>)], label: &str) {
    assert_eq!(seen["rows"], expected.len(), "{label}: {seen}");
    let questions = seen["questions"].as_array().expect("questions");
    let images = seen["images"].as_array().expect("images");
    for (q, size) in expected {
        let i = questions
            .iter()
            .position(|t| t.as_str().is_some_and(|t| t.contains(q.as_str())))
            .unwrap_or_else(|| panic!("{label}: {q} not read: {seen}"));
        let want: Vec<serde_json::Value> = size.iter().map(|(w, h)| serde_json::json!([w, h])).collect();
        assert_eq!(images[i].as_array().expect("sizes"), &want, "{label}: the image of {q}");
    }
}

#[test]
fn hugging_face_datasets_trl_and_llamafactory_read_the_exports() {
    let ws = Workspace::new();
    let (project, expected) = project(&ws);
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(&format!("trl-{file_format}"));
        common::export(&project, &out, &["--file-format", file_format]);
        let seen = read("trl", &out, &format!("train.{file_format}"));
        check(&seen, &expected, &format!("TRL {file_format}"));
        assert!(
            seen["conversational"].as_array().expect("flags").iter().all(|c| c == true),
            "vision rows are conversational"
        );
        assert_eq!(seen["columns"], serde_json::json!(["prompt", "chosen", "rejected", "images"]));
        assert!(
            seen["string_contents"].as_array().expect("flags").iter().all(|c| c == false),
            "vision rows keep typed parts, text rows too"
        );

        let name = format!("lf-{file_format}");
        let out = ws.path(&name);
        common::export(&project, &out, &["--format", "llamafactory", "--file-format", file_format]);
        check(&read("llamafactory", &out, &name), &expected, &format!("LLaMA-Factory {file_format}"));
    }
}

#[test]
fn a_text_only_export_is_trls_standard_form() {
    let ws = Workspace::new();
    let file = ws.write("text.jsonl", "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"r\", \"chosen\": \"c\", \"rejected\": \"d\"}\n");
    let project = ws.project();
    common::import(&project, &file);
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(file_format);
        common::export(&project, &out, &["--file-format", file_format]);
        let seen = read("trl", &out, &format!("train.{file_format}"));
        assert_eq!(seen["columns"], serde_json::json!(["prompt", "chosen", "rejected"]));
        assert_eq!(seen["conversational"], serde_json::json!([false, false]));
        assert_eq!(seen["questions"], serde_json::json!(["q", "r"]));
    }
}

#[test]
fn a_text_export_with_system_messages_and_turns_is_trls_conversational_text_form() {
    let ws = Workspace::new();
    let project = ws.project();
    common::import(&project, &export_fixtures::conversations(&ws));
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(file_format);
        common::export(&project, &out, &["--file-format", file_format]);
        let seen = read("trl", &out, &format!("train.{file_format}"));
        assert_eq!(seen["columns"], serde_json::json!(["prompt", "chosen", "rejected"]), "no images column");
        assert_eq!(seen["conversational"], serde_json::json!([true, true, true, true]));
        assert_eq!(seen["string_contents"], serde_json::json!([true, true, true, true]), "string contents");
        let questions = seen["questions"].as_array().expect("questions");
        assert!(questions[0].as_str().is_some_and(|q| q == "Answer in one word.\nsystem question"), "{seen}");
        assert!(questions[1].as_str().is_some_and(|q| q == "first turn\nfirst answer\nturns question"), "{seen}");
    }
}

#[test]
fn openrlhf_reads_both_forms_and_the_margins() {
    let ws = Workspace::new();
    let project = ws.project();
    common::import(&project, &export_fixtures::conversations(&ws));
    common::import(&project, &export_fixtures::scored_pairs(&ws));
    for file_format in ["jsonl", "parquet"] {
        // Messages: the conversations make it so; the scored pairs go along with their margins.
        let out = ws.path(&format!("messages-{file_format}"));
        common::export(&project, &out, &["--format", "openrlhf", "--file-format", file_format]);
        let seen = read("openrlhf", &out, &format!("train.{file_format}"));
        assert_eq!(seen["rows"], 7, "{seen}");
        assert!(seen["forms"].as_array().expect("forms").iter().all(|f| f == "messages"), "{seen}");
        let prompt = seen["questions"][0].as_str().expect("prompt");
        assert_eq!(
            prompt,
            "<|im_start|>system\nAnswer in one word.<|im_end|>\n<|im_start|>user\nsystem question<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(seen["chosen"][0], "system good<|im_end|>\n");
        let margins: Vec<f64> =
            seen["margins"].as_array().expect("margins").iter().filter_map(serde_json::Value::as_f64).collect();
        let want: Vec<f64> =
            [0.0; 4].into_iter().chain(export_fixtures::SCORED.iter().map(|(_, c, r)| c - r)).collect();
        assert_eq!(margins, want, "no score reads as 0; the scored pairs' differences");

        // Strings: what has turns is left out; the rest reads through an input template.
        let out = ws.path(&format!("strings-{file_format}"));
        common::export(&project, &out, &["--format", "openrlhf", "--form", "strings", "--file-format", file_format]);
        let seen = read("openrlhf", &out, &format!("train.{file_format}"));
        assert_eq!(seen["rows"], 4, "{seen}");
        assert!(seen["forms"].as_array().expect("forms").iter().all(|f| f == "strings"), "{seen}");
        assert_eq!(seen["questions"][0], "User: plain question\nAssistant: ");
        assert_eq!(seen["margins"][1], 3.5);
    }
}

#[test]
fn llamafactory_reads_frame_folders_beside_video_files() {
    let ws = Workspace::new();
    let project = ws.project();
    let (file, frames) = export_fixtures::videos(&ws);
    common::import(&project, &file);
    common::import(&project, &frames);
    for file_format in ["jsonl", "parquet"] {
        let name = format!("lf-{file_format}");
        let out = ws.path(&name);
        common::export(&project, &out, &["--format", "llamafactory", "--file-format", file_format]);
        let files = read("llamafactory", &out, &name);
        assert_eq!(files["rows"], 2, "{files}");
        assert_eq!(files["videos"], serde_json::json!([["file"], ["file"]]), "video files, found in media_dir");
        let frames = read("llamafactory", &out, &format!("{name}_frames"));
        assert_eq!(frames["rows"], 2, "{frames}");
        assert_eq!(frames["videos"], serde_json::json!([[3], [3]]), "three frames each, found and decoded");
    }
}
