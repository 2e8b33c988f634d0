//! `--format original`: each dataset back in its own schema and file type. With no edits the rows
//! come back as they were (JSON Lines byte for byte, JSON equal values, Parquet equal columns and
//! values); a curator's relabel lands in the field that carries the label; a killed export leaves
//! no file under a final name and running it again writes it whole.

mod common;
use common::{Workspace, import, jpeg, verdict, write_rlaif_parquet};
use std::path::Path;
use verdict::model::{SampleId, Value};
use verdict::store::{CurationAction, Store};

/// `verdict export --format original`.
fn export(project: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    common::export(project, out, &[&["--format", "original"], args].concat())
}

/// Every row of a Parquet file, and its schema's fields.
fn parquet_rows(path: &Path) -> (Vec<Value>, Vec<arrow_schema::FieldRef>) {
    let file = std::fs::File::open(path).expect("open");
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
    let fields = builder.schema().fields().iter().cloned().collect();
    let mut rows = Vec::new();
    for batch in builder.build().expect("reader") {
        rows.extend(verdict::ingest::readers::record_batch_rows(&batch.expect("batch"), 0));
    }
    (rows, fields)
}

/// Extra columns the project keeps as extras, with types a round trip must not lose.
fn sources(ws: &Workspace) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let rows: Vec<(String, String, String, Option<Vec<u8>>)> = (0..5)
        .map(|i| (format!("q{i}"), format!("good {i}"), format!("bad {i}"), Some(jpeg(16 + i, 12, i as u8))))
        .collect();
    let borrowed: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        rows.iter().map(|(q, c, r, b)| (q.as_str(), c.as_str(), r.as_str(), b.clone())).collect();
    let parquet = ws.path("rlaif.parquet");
    write_rlaif_parquet(&parquet, &borrowed, 2);
    // JSONL with odd spacing, unicode, a number that must stay a float, nested extras and a blank line.
    let jsonl = ws.write(
        "pairs.jsonl",
        concat!(
            "{\"prompt\": \"p0\",  \"chosen\": \"c0\", \"rejected\": \"r0\", \"score\": 1.0, \"tags\": {\"a\": [1, 2]}}\n",
            "{\"prompt\":\"p1 \u{e9}\u{4e2d}\",\"chosen\":\"c1\",\"rejected\":\"r1\",\"score\":2.5,\"tags\":null}\n",
            "\n",
            "{\"prompt\":\"p2\",\"chosen\":\"c2\",\"rejected\":\"r2\",\"score\":-3,\"tags\":{}}\n",
        ),
    );
    let json = ws.write(
        "llava_rlhf.json",
        serde_json::to_string_pretty(&serde_json::json!([
            {"id": 7, "image": "x.png", "conversations": [{"from": "human", "value": "<image>\nq0"}],
             "output_1": {"from": "gpt", "value": "one"}, "output_2": {"from": "gpt", "value": "two"}, "preference": 2, "extra": [1.5, "x"]},
            {"id": "s8", "image": "y.png", "conversations": [{"from": "human", "value": "<image>\nq1"}],
             "output_1": {"from": "gpt", "value": "uno"}, "output_2": {"from": "gpt", "value": "dos"}, "preference": 1},
        ]))
        .expect("json"),
    );
    (parquet, jsonl, json)
}

#[test]
fn with_no_edits_every_row_comes_back_as_it_was() {
    let ws = Workspace::new();
    let (parquet, jsonl, json) = sources(&ws);
    let project = ws.project();
    for f in [&parquet, &jsonl, &json] {
        import(&project, f);
    }
    let out = ws.path("out");
    let report = export(&project, &out, &[]);
    assert_eq!(report["counts"]["rows_written"], 10, "{report}");
    // JSON Lines: the same bytes (the blank line is no row).
    let back = std::fs::read_to_string(out.join("pairs.jsonl")).expect("jsonl");
    let source = std::fs::read_to_string(&jsonl).expect("source");
    assert_eq!(back, source.replace("\n\n", "\n"));
    // JSON: equal values, in order.
    let a: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("llava_rlhf.json")).expect("out")).expect("parse");
    assert_eq!(a, b);
    // Parquet: equal columns (names and types) and values.
    let (rows_a, fields_a) = parquet_rows(&parquet);
    let (rows_b, fields_b) = parquet_rows(&out.join("rlaif.parquet"));
    assert_eq!(fields_a, fields_b);
    assert_eq!(rows_a, rows_b);
}

#[test]
fn a_curators_label_lands_in_the_field_that_carries_it() {
    let ws = Workspace::new();
    let (parquet, jsonl, json) = sources(&ws);
    let project = ws.project();
    for f in [&parquet, &jsonl, &json] {
        import(&project, f);
    }
    let mut store = Store::open(&project).expect("store");
    let id = |store: &Store, prompt: &str| -> SampleId {
        SampleId(
            store
                .conn()
                .query_row("SELECT id FROM samples WHERE instr(prompt, ?1) > 0", [prompt], |r| r.get(0))
                .expect("sample"),
        )
    };
    for (prompt, action) in [
        ("q1", CurationAction::Swap),
        ("q3", CurationAction::Flag("blurry".into())),
        ("p0", CurationAction::Pick(1)),
        ("p2", CurationAction::Tie),
        ("<image>\nq0", CurationAction::Pick(0)),
    ] {
        let s = id(&store, prompt);
        store.apply(&verdict::store::Actor::new("ana", "test"), s, &action).expect("applies");
    }
    drop(store);
    let out = ws.path("out");
    let report = export(&project, &out, &[]);
    assert_eq!(report["counts"]["left_out"]["flagged"], 1, "{report}");
    assert_eq!(report["counts"]["left_out"]["tie"], 1, "{report}");
    assert_eq!(report["counts"]["curator_labels"], 3, "{report}");

    let (rows, _) = parquet_rows(&out.join("rlaif.parquet"));
    let get = |r: &Value, k: &str| r.as_map().and_then(|m| m.get(k)).cloned().unwrap_or_default();
    let questions: Vec<Value> = rows.iter().map(|r| get(r, "question")).collect();
    assert_eq!(questions, ["q0", "q1", "q2", "q4"].map(|q| Value::Str(q.into())));
    assert_eq!(get(&rows[1], "chosen"), Value::Str("bad 1".into()), "q1 swapped");
    assert_eq!(get(&rows[1], "rejected"), Value::Str("good 1".into()));
    assert_eq!(get(&rows[0], "chosen"), Value::Str("good 0".into()));

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(out.join("pairs.jsonl"))
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    assert_eq!(lines.len(), 2, "p2 (a tie) is left out");
    assert_eq!((lines[0]["chosen"].as_str(), lines[0]["rejected"].as_str()), (Some("r0"), Some("c0")));
    assert_eq!(lines[0]["tags"], serde_json::json!({"a": [1, 2]}), "the other columns as they were");
    assert_eq!(lines[1]["chosen"], "c1");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("llava_rlhf.json")).expect("json")).expect("parse");
    assert_eq!(json[0]["preference"], 1, "the index label names the curator's pick, in its own base");
    assert_eq!(json[0]["output_1"]["value"], "one", "answers stay where they were");
    assert_eq!(json[1]["preference"], 1);

    // The export imports back with the curator's labels as its own.
    let again = ws.path("again.verdict");
    import(&again, &out.join("llava_rlhf.json"));
    let store = Store::open(&again).expect("store");
    let first = store.sample(SampleId(1)).expect("sample");
    let j = &first.judgments[0];
    assert_eq!((j.chosen, j.rejected), (Some(0), Some(1)));
}

#[test]
fn a_moved_source_is_refused_with_what_to_do() {
    let ws = Workspace::new();
    let (_, jsonl, _) = sources(&ws);
    let project = ws.project();
    import(&project, &jsonl);
    std::fs::write(&jsonl, "{\"prompt\": \"changed\", \"chosen\": \"a\", \"rejected\": \"b\"}\n").expect("edit");
    let out = ws.path("out");
    let o = verdict(&[
        "export",
        project.to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--format",
        "original",
    ]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("pairs.jsonl") && err.contains("--format verdict"), "{err}");
    assert_eq!(std::fs::read_dir(&out).expect("dir").count(), 0, "nothing left behind");
}

#[test]
fn a_killed_export_leaves_no_final_file_and_the_next_run_writes_it_whole() {
    let ws = Workspace::new();
    // Enough distinct embedded images that copying them takes a while.
    let n = 3000usize;
    let rows: Vec<(String, String, String, Option<Vec<u8>>)> = (0..n)
        .map(|i| {
            (
                format!("q{i}"),
                format!("c{i}"),
                format!("r{i}"),
                Some(
                    jpeg(8 + (i % 7) as u32, 8, (i % 251) as u8).into_iter().chain((i as u32).to_le_bytes()).collect(),
                ),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        rows.iter().map(|(q, c, r, b)| (q.as_str(), c.as_str(), r.as_str(), b.clone())).collect();
    let parquet = ws.path("many.parquet");
    write_rlaif_parquet(&parquet, &borrowed, 500);
    let project = ws.project();
    import(&project, &parquet);
    let out = ws.path("out");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["export", project.to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "--format", "trl"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    // Wait until media are being written into the staging folder, then kill it.
    let started = std::time::Instant::now();
    let staged = loop {
        let staging = std::fs::read_dir(&out).ok().and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.path())));
        if let Some(media) = staging.map(|s| s.join("media"))
            && std::fs::read_dir(&media).is_ok_and(|d| d.count() >= 10)
        {
            break media;
        }
        assert!(started.elapsed().as_secs() < 60, "the export never started writing media");
        assert!(child.try_wait().expect("wait").is_none(), "the export finished before it could be killed");
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    assert!(
        staged.parent().expect("staging").file_name().expect("name").to_string_lossy().starts_with(".verdict-export-")
    );
    for name in ["train.jsonl", "manifest.json", "media"] {
        assert!(!out.join(name).exists(), "{name} exists under its final name after a kill");
    }
    // Again: the leftover staging folder is removed and the export is complete.
    common::export(&project, &out, &["--format", "trl"]);
    let entries: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!entries.iter().any(|e| e.starts_with(".verdict-export-")), "{entries:?}");
    assert_eq!(std::fs::read_to_string(out.join("train.jsonl")).expect("data").lines().count(), n);
    assert_eq!(std::fs::read_dir(out.join("media")).expect("media").count(), n);
}

#[test]
fn arrow_files_of_a_saved_dataset_come_back_as_arrow_streams_with_the_label() {
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
    let names = ["data-00000-of-00002.arrow", "data-00001-of-00002.arrow"];
    for (i, name) in names.iter().enumerate() {
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec![format!("q{i}a"), format!("q{i}b")])),
                Arc::new(StringArray::from(vec![format!("good {i}a"), format!("good {i}b")])),
                Arc::new(StringArray::from(vec![format!("bad {i}a"), format!("bad {i}b")])),
            ],
        )
        .expect("batch");
        common::write_arrow_stream(&folder.join(name), &batch);
    }
    std::fs::write(
        folder.join("state.json"),
        r#"{"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}]}"#,
    )
    .expect("state");
    let project = ws.project();
    import(&project, &folder);
    let mut store = Store::open(&project).expect("store");
    let q1b: i64 = store.conn().query_row("SELECT id FROM samples WHERE prompt = 'q1b'", [], |r| r.get(0)).expect("id");
    store.apply(&verdict::store::Actor::new("ana", "test"), SampleId(q1b), &CurationAction::Swap).expect("swap");
    drop(store);
    let out = ws.path("out");
    export(&project, &out, &[]);
    let read = |name: &str| -> Vec<Value> {
        let file = std::fs::File::open(out.join(name)).expect("written under its own name");
        let reader = arrow_ipc::reader::StreamReader::try_new(file, None).expect("an Arrow stream");
        assert_eq!(reader.schema(), schema, "the same schema");
        reader.flat_map(|b| verdict::ingest::readers::record_batch_rows(&b.expect("batch"), 0)).collect()
    };
    let first = read(names[0]);
    assert_eq!(
        serde_json::to_string(&first).expect("json"),
        r#"[{"prompt":"q0a","chosen":"good 0a","rejected":"bad 0a"},{"prompt":"q0b","chosen":"good 0b","rejected":"bad 0b"}]"#
    );
    let second = read(names[1]);
    assert_eq!(
        serde_json::to_string(&second[1]).expect("json"),
        r#"{"prompt":"q1b","chosen":"bad 1b","rejected":"good 1b"}"#
    );
}

#[test]
fn ties_are_left_out_unless_kept_and_then_set_where_the_source_has_a_tie_field() {
    let ws = Workspace::new();
    let rows = concat!(
        "{\"prompt\": \"t0\", \"chosen\": \"a0\", \"rejected\": \"b0\", \"chosen_reason\": \"x\", \"is_tie\": false}\n",
        "{\"prompt\": \"t1\", \"chosen\": \"a1\", \"rejected\": \"b1\", \"chosen_reason\": \"y\", \"is_tie\": true}\n",
        "{\"prompt\": \"t2\", \"chosen\": \"a2\", \"rejected\": \"b2\", \"chosen_reason\": \"z\", \"is_tie\": false}\n",
    );
    let file = ws.write("mm_rlhf.jsonl", rows);
    let project = ws.project();
    import(&project, &file);
    let mut store = Store::open(&project).expect("store");
    store.apply(&verdict::store::Actor::new("ana", "test"), SampleId(1), &CurationAction::Tie).expect("tie");
    store
        .apply(&verdict::store::Actor::new("ana", "test"), SampleId(2), &CurationAction::Pick(1))
        .expect("not a tie any more");
    drop(store);
    let lines = |out: &Path| -> Vec<serde_json::Value> {
        std::fs::read_to_string(out.join("mm_rlhf.jsonl"))
            .expect("jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("row"))
            .collect()
    };
    let dropped = ws.path("drop");
    let report = export(&project, &dropped, &[]);
    assert_eq!(report["counts"]["left_out"]["tie"], 1, "{report}");
    let rows = lines(&dropped);
    assert_eq!(rows.iter().map(|r| r["prompt"].as_str().expect("p")).collect::<Vec<_>>(), ["t1", "t2"]);
    assert_eq!(
        (rows[0]["is_tie"].as_bool(), rows[0]["chosen"].as_str()),
        (Some(false), Some("b1")),
        "t1 picked: no tie, swapped"
    );

    let kept = ws.path("keep");
    export(&project, &kept, &["--ties", "keep"]);
    let rows = lines(&kept);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["is_tie"], true, "the curator's tie, in the source's own field");
    assert_eq!(rows[2], serde_json::from_str::<serde_json::Value>(&rows_in(&file, 2)).expect("source"), "t2 untouched");
}

/// Line `line` (from 0) of a text file.
fn rows_in(file: &Path, line: usize) -> String {
    std::fs::read_to_string(file).expect("source").lines().nth(line).expect("line").to_owned()
}
