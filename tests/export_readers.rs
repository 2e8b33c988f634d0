//! The real readers: HF `datasets` loads each TRL and LLaMA-Factory export, JSONL and Parquet, as
//! the trainers would (TRL's own data utilities check the rows; LLaMA-Factory's own
//! `dataset_info.json` parser and sharegpt converter take them), and its images decode to the
//! right sizes. The Python environment comes from `scripts/python-env.sh` (the README's test
//! command makes it and sets `VERDICT_PYTHON`).

mod common;
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
