//! End-to-end: `verdict import` / `info` / `show` on files the tests write, asserting exit codes,
//! output and what the project file then holds.

mod common;
use common::{Workspace, count, stderr, stdout, verdict};

fn text_pairs(n: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for i in 0..n {
        let _ = writeln!(
            out,
            "{{\"id\": \"r{i}\", \"prompt\": \"Question number {i}?\", \"chosen\": \"Good answer {i}\", \"rejected\": \"Bad answer {i}\", \"source\": \"synthetic\"}}"
        );
    }
    out
}

#[test]
fn bad_rows_are_reported_by_row_and_field_and_good_rows_still_import() {
    let ws = Workspace::new();
    let mut body = text_pairs(3);
    body.push_str("{\"id\": \"broken\", \"prompt\": \n"); // line 4: malformed JSON
    body.push_str("{\"id\": \"nochosen\", \"prompt\": \"p\", \"rejected\": \"r\"}\n"); // line 5: missing field
    body.push_str("{\"id\": \"wrongtype\", \"prompt\": \"p\", \"chosen\": [1, 2], \"rejected\": \"r\"}\n"); // line 6
    body.push_str(&text_pairs(2).replace("r0", "r3").replace("r1", "r4"));
    let file = ws.write("pairs.jsonl", body);
    let project = ws.project();
    let out = verdict(&["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("preset trl"), "{}", stdout(&out));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 5);
    assert_eq!(count(&project, "SELECT count(*) FROM import_issues WHERE severity = 'error'"), 3);
    let conn = rusqlite::Connection::open(&project).expect("opens");
    let issues: Vec<(i64, Option<String>, String)> = conn
        .prepare("SELECT row_index, field, message FROM import_issues ORDER BY row_index")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(issues[0].0, 3);
    assert!(issues[0].2.starts_with("malformed JSON at column "), "{:?}", issues[0]);
    assert_eq!((issues[1].0, issues[1].1.as_deref()), (4, Some("chosen")));
    assert!(issues[1].2.contains("missing"), "{:?}", issues[1]);
    assert_eq!(issues[2].0, 5);
    assert!(issues[2].1.as_deref().is_some_and(|f| f.starts_with("chosen")), "{:?}", issues[2]);
    // The report names the file, line (counted from 1) and field on stderr too.
    assert!(stderr(&out).contains("pairs.jsonl line 5 field chosen: missing required field"), "{}", stderr(&out));

    // Unknown columns survive as extras; originals are pairwise with chosen at position 0.
    let extras: String =
        conn.query_row("SELECT extras FROM samples WHERE source_key = 'r0'", [], |r| r.get(0)).expect("extras");
    assert_eq!(extras, r#"{"source":"synthetic"}"#);
    let fts: i64 = conn
        .query_row("SELECT count(*) FROM sample_fts WHERE sample_fts MATCH 'Bad AND answer'", [], |r| r.get(0))
        .expect("fts");
    assert_eq!(fts, 5);

    // info lists the report.
    let info = verdict(&["info", project.to_str().expect("utf8")]);
    assert!(info.status.success());
    let text = stdout(&info);
    assert!(text.contains("3 errors"), "{text}");
    assert!(text.contains("pairwise/overall 5"), "{text}");
    assert!(text.contains("modalities   text 5"), "{text}");
    // The same as one JSON line per dataset, positions named as an editor counts them.
    let info = verdict(&["info", project.to_str().expect("utf8"), "--json"]);
    assert!(info.status.success());
    let lines: Vec<serde_json::Value> =
        stdout(&info).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 1, "one dataset");
    let d = &lines[0];
    assert_eq!(
        (d["name"].as_str(), d["status"].as_str(), d["samples"].as_u64()),
        (Some("pairs"), Some("complete"), Some(5))
    );
    assert_eq!(d["errors"].as_u64(), Some(3));
    assert_eq!(d["modalities"][0], serde_json::json!({"modality": "text", "samples": 5}));
    let missing =
        d["issues"].as_array().expect("issues").iter().find(|i| i["field"] == "chosen").expect("the chosen issue");
    assert_eq!(missing["position"], serde_json::json!({"line": 5}));
    assert_eq!((missing["severity"].as_str(), missing["file"].as_str()), (Some("error"), Some("pairs.jsonl")));
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let ws = Workspace::new();
    let file = ws.write("pairs.jsonl", text_pairs(50));
    let project = ws.project();
    let args = ["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")];
    assert!(verdict(&args).status.success());
    let again = verdict(&args);
    assert!(again.status.success());
    assert!(stdout(&again).contains("already imported, nothing added"), "{}", stdout(&again));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 50);
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 1);
}

#[test]
fn a_file_that_is_not_a_dataset_gets_one_clear_error_and_leaves_nothing() {
    let ws = Workspace::new();
    let png = ws.write("picture.json", common::png(4, 4));
    let project = ws.project();
    let out = verdict(&["import", png.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("picture.json") && err.contains("not a dataset"), "{err}");
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 0);

    let other = ws.write("other.jsonl", "{\"a\": 1, \"b\": 2}\n");
    let out = verdict(&["import", other.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no preset recognizes the columns [a, b]"), "{}", stderr(&out));
}

#[test]
fn media_outside_the_media_root_is_refused_per_row() {
    let ws = Workspace::new();
    ws.write("root/ok.jpg", common::jpeg(32, 24, 1));
    ws.write("secret.jpg", common::jpeg(8, 8, 2));
    let file = ws.write(
        "data/mm.jsonl",
        "{\"prompt\": \"<image> what?\", \"chosen\": \"a\", \"rejected\": \"b\", \"image\": \"ok.jpg\", \"is_tie\": false}\n\
         {\"prompt\": \"<image> what?\", \"chosen\": \"a\", \"rejected\": \"b\", \"image\": \"../secret.jpg\", \"is_tie\": false}\n\
         {\"prompt\": \"<image> what?\", \"chosen\": \"a\", \"rejected\": \"b\", \"image\": \"missing.jpg\", \"is_tie\": true}\n",
    );
    let project = ws.project();
    let root = ws.path("root");
    let out = verdict(&[
        "import",
        file.to_str().expect("utf8"),
        "--project",
        project.to_str().expect("utf8"),
        "--media-root",
        root.to_str().expect("utf8"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("preset mm-rlhf"), "{}", stdout(&out));
    // Every row is kept; the bad references are marked and reported.
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 3);
    assert_eq!(
        count(&project, "SELECT count(*) FROM media WHERE probe_status = 'ok' AND width = 32 AND height = 24"),
        1
    );
    assert_eq!(count(&project, "SELECT count(*) FROM media WHERE probe_status = 'unresolved'"), 2);
    let conn = rusqlite::Connection::open(&project).expect("opens");
    let msg: String = conn
        .query_row("SELECT message FROM import_issues WHERE row_index = 1 AND field = 'image'", [], |r| r.get(0))
        .expect("issue for row 1");
    assert!(msg.contains("leaves the media root"), "{msg}");
    let tie: String = conn
        .query_row(
            "SELECT j.kind FROM judgments j JOIN samples s ON s.id = j.sample_id WHERE s.row_index = 2",
            [],
            |r| r.get(0),
        )
        .expect("judgment");
    assert_eq!(tie, "tie");
}

#[test]
fn parquet_images_are_stored_once_per_content_and_probed() {
    let ws = Workspace::new();
    let shared = common::jpeg(64, 48, 7);
    let rows = vec![
        ("What colour?", "Red.", "Blue.", Some(shared.clone())),
        ("What colour again?", "Red.", "Green.", Some(shared.clone())),
        ("And this one?", "Dark.", "Light.", Some(common::jpeg(40, 30, 9))),
        ("Corrupt?", "Yes.", "No.", Some(b"\xff\xd8\xff\xe0 definitely not a jpeg".to_vec())),
    ];
    let file = ws.path("rlaif.parquet");
    common::write_rlaif_parquet(&file, &rows, 2);
    let project = ws.project();
    let out = verdict(&["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("preset rlaif-v, parquet"), "{}", stdout(&out));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 4);
    assert_eq!(count(&project, "SELECT count(*) FROM media"), 4);
    assert_eq!(count(&project, "SELECT count(*) FROM blobs"), 3, "identical images are stored once");
    assert_eq!(count(&project, "SELECT count(*) FROM media WHERE width = 64 AND height = 48 AND codec = 'jpeg'"), 2);
    assert_eq!(count(&project, "SELECT count(*) FROM media WHERE probe_status = 'failed'"), 1);
    assert_eq!(count(&project, "SELECT count(*) FROM responses WHERE model = 'OmniLMM-12B'"), 8);
    assert_eq!(count(&project, "SELECT count(*) FROM samples WHERE source_key = 'idx-2' AND modality = 'image'"), 1);

    let show = verdict(&["show", project.to_str().expect("utf8"), "1"]);
    assert!(show.status.success(), "{}", stderr(&show));
    let text = stdout(&show);
    assert!(text.contains("[prompt]\nWhat colour?"), "{text}");
    assert!(text.contains("label now A over B (original)"), "{text}");
    assert!(text.contains("judgment original: A over B (in force)"), "{text}");
    assert!(text.contains("[response A] chosen now (source field chosen)"), "{text}");
    assert!(text.contains("64x48"), "{text}");
    assert!(text.contains("origin_split"), "unmapped columns are shown as extras: {text}");
}

#[test]
fn a_killed_import_resumes_without_duplicates() {
    let ws = Workspace::new();
    let rows = 300_000;
    let file = ws.write("big.jsonl", text_pairs(rows));
    let project = ws.project();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    // Wait for the first committed batch, then kill -9.
    let mut killed_mid_import = false;
    for _ in 0..2000 {
        std::thread::sleep(std::time::Duration::from_millis(10));
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let done = rusqlite::Connection::open(&project)
            .and_then(|c| c.query_row("SELECT rows_done FROM datasets", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if done > 0 {
            child.kill().expect("kills");
            killed_mid_import = true;
            break;
        }
    }
    let _ = child.wait();
    assert!(killed_mid_import, "the import should still have been running when killed");
    // The project is consistent at the kill: samples match the resume point.
    let samples = count(&project, "SELECT count(*) FROM samples");
    let done = count(&project, "SELECT rows_done FROM datasets");
    assert_eq!(samples, done);
    assert!(samples < rows as i64);
    assert_eq!(count(&project, "SELECT status = 'importing' FROM datasets"), 1);

    let out = verdict(&["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A JSON Lines file resumes at the line after the last committed row.
    assert!(stdout(&out).contains(&format!("resumed at line {}", done + 1)), "{}", stdout(&out));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), rows as i64);
    assert_eq!(count(&project, "SELECT count(DISTINCT source_key) FROM samples"), rows as i64);
    assert_eq!(count(&project, "SELECT count(*) FROM sample_fts"), rows as i64);
    // Every sample's text is searchable once, those of the batches committed before the kill
    // too (the side indexer's share of them is indexed again on resume: store/fts_side.rs).
    assert_eq!(count(&project, "SELECT count(*) FROM sample_fts_docsize"), rows as i64);
    assert_eq!(count(&project, "SELECT count(*) FROM sample_fts WHERE sample_fts MATCH 'question'"), rows as i64);
    assert_eq!(count(&project, "SELECT count(*) FROM sample_fts WHERE sample_fts MATCH '\"answer 7\"'"), 1);
    assert!(!verdict::store::side_path(&project).exists(), "no scratch index is left behind");
    assert_eq!(count(&project, "SELECT status = 'complete' FROM datasets"), 1);
}

#[test]
fn presets_lists_every_layout_and_no_subcommand_opens_the_app() {
    let out = verdict(&["presets"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for name in [
        "rlaif-v",
        "rlhf-v",
        "vlfeedback",
        "povid",
        "llava-rlhf",
        "mm-rlhf",
        "spa-vl",
        "ha-dpo-pope",
        "ha-dpo-desc",
        "llava-hound",
        "mia-dpo",
        "align-anything",
        "mmpr",
        "opa-dpo",
        "mdpo",
        "llava-dpo",
        "trl",
        "llamafactory-alpaca",
        "llamafactory-sharegpt",
        "llamafactory-v1",
        "ms-swift",
        "mapping",
    ] {
        assert!(text.lines().any(|l| l.starts_with(name)), "{name} missing from:\n{text}");
    }
    let help = verdict(&["--help"]);
    assert!(help.status.success());
    for sub in ["import", "open", "screenshot"] {
        assert!(stdout(&help).contains(sub), "{sub} missing from --help");
    }
    // No subcommand opens the app; with no display that is a one-line error, not a panic.
    let no_display = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("VERDICT_CONFIG_DIR", std::env::temp_dir().join("verdict-test-no-display"))
        .output()
        .expect("runs");
    assert_eq!(no_display.status.code(), Some(1));
    assert!(stderr(&no_display).contains("cannot open a window"), "{}", stderr(&no_display));
    let bad = verdict(&["info", "/nonexistent/p.verdict"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("no project file at /nonexistent/p.verdict"));
}

#[test]
fn a_hugging_face_save_to_disk_folder_imports_its_arrow_files() {
    use arrow_array::{RecordBatch, StringArray};
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;
    let ws = Workspace::new();
    let folder = ws.path("saved");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let schema = Arc::new(Schema::new(vec![
        Field::new("prompt", DataType::Utf8, false),
        Field::new("chosen", DataType::Utf8, false),
        Field::new("rejected", DataType::Utf8, false),
    ]));
    for (i, name) in ["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"].iter().enumerate() {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![format!("q{i}a"), format!("q{i}b")])),
                Arc::new(StringArray::from(vec!["good", "good"])),
                Arc::new(StringArray::from(vec!["bad", "bad"])),
            ],
        )
        .expect("batch");
        common::write_arrow_stream(&folder.join(name), &batch);
    }
    std::fs::write(
        folder.join("state.json"),
        r#"{"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}], "_split": "train"}"#,
    )
    .expect("state");
    let project = ws.project();
    let out = verdict(&["import", folder.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).matches("preset trl, arrow").count(), 2, "{}", stdout(&out));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 4);
    assert_eq!(count(&project, "SELECT count(*) FROM samples WHERE prompt = 'q1b'"), 1);

    let plain = ws.path("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let out = verdict(&["import", plain.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not a Hugging Face save_to_disk folder"), "{}", stderr(&out));
}

#[test]
fn search_prints_matches_and_a_bad_query_says_what_is_wrong() {
    let ws = Workspace::new();
    let file = ws.write("pairs.jsonl", text_pairs(30));
    let project = ws.project();
    let p = project.to_str().expect("utf8");
    assert!(verdict(&["import", file.to_str().expect("utf8"), "--project", p]).status.success());
    let out = verdict(&["search", p, "\"number 7?\" OR key:r12"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("Question number 7?") && lines[1].ends_with("Question number 12?"), "{lines:?}");
    let count = verdict(&["search", p, "len_chosen>=14", "--count"]);
    assert_eq!(stdout(&count).trim(), "20", "'Good answer 10'..'29' are 14 characters");
    let bad = verdict(&["search", p, "len_chosen>lots"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("`len_chosen` needs a whole number, found `lots`"), "{}", stderr(&bad));
}

#[test]
fn data_piped_into_a_reader_that_has_gone_ends_quietly() {
    // `verdict presets | head -1`: the reader closes the pipe while data is still coming. The
    // read end is closed before the process starts, so its very first write meets a closed pipe.
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .arg("presets")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("runs verdict");
    let err = stderr(&out);
    assert!(out.status.success(), "exit {:?}: {err}", out.status);
    assert!(err.is_empty(), "nothing on stderr, no panic: {err}");
}
