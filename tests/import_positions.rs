//! Positions in the import report are the ones a curator finds in the file: a JSON Lines line
//! counted from 1, a JSON array index, a Parquet or Arrow row (and, in a `save_to_disk` folder,
//! which Arrow file). Each case imports a generated file with problems on known rows and asserts
//! the exact report lines, as the import prints them and as `verdict info` lists them.

mod common;
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use common::{Workspace, stderr, stdout, verdict};
use std::path::Path;
use std::sync::Arc;

fn import_out(project: &Path, file: &Path) -> (String, String) {
    let out = verdict(&["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    (stdout(&out), stderr(&out))
}

fn info(project: &Path) -> String {
    let out = verdict(&["info", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

fn has_line(text: &str, line: &str) {
    assert!(text.lines().any(|l| l.trim() == line), "no line {line:?} in:\n{text}");
}

fn pair(i: usize, image: &str) -> String {
    format!(
        "{{\"prompt\": \"<image> q{i}?\", \"chosen\": \"a{i}\", \"rejected\": \"b{i}\", \"image\": \"{image}\", \"is_tie\": false}}\n"
    )
}

#[test]
fn jsonl_positions_are_lines_counted_from_one() {
    let ws = Workspace::new();
    ws.write("ok.jpg", common::jpeg(16, 16, 3));
    let mut body = String::new();
    body.push_str(&pair(0, "ok.jpg")); // line 1
    body.push_str(&pair(1, "ok.jpg")); // line 2
    body.push('\n'); // line 3: blank, skipped but counted
    body.push_str("{\"prompt\": \"broken\",\n"); // line 4: malformed JSON
    body.push_str("{\"prompt\": \"p\", \"rejected\": \"r\", \"image\": \"ok.jpg\", \"is_tie\": false}\n"); // line 5
    body.push_str("[1, 2]\n"); // line 6: not an object
    body.push_str(&pair(6, "missing.jpg")); // line 7: imported, its image missing
    body.push_str(&pair(7, "ok.jpg")); // line 8
    let file = ws.write("pairs.jsonl", body);
    let project = ws.project();
    let (out, err) = import_out(&project, &file);
    assert!(out.contains("8 rows read, 4 samples added, 3 errors, 1 warning"), "{out}");
    let name = file.display().to_string();
    has_line(&err, &format!("error: {name} line 4: malformed JSON at column 20: EOF while parsing a value"));
    has_line(&err, &format!("error: {name} line 5 field chosen: missing required field"));
    has_line(&err, &format!("error: {name} line 6: expected an object, found a list"));
    let text = info(&project);
    has_line(&text, "error pairs.jsonl line 4: malformed JSON at column 20: EOF while parsing a value");
    has_line(&text, "error pairs.jsonl line 5 field chosen: missing required field");
    has_line(&text, "error pairs.jsonl line 6: expected an object, found a list");
    let warning =
        text.lines().find(|l| l.trim().starts_with("warning pairs.jsonl line 7 field image: ")).map(str::trim);
    assert!(warning.is_some_and(|w| w.contains("missing.jpg")), "{text}");
    // The media problem names the sample and where it came from, as the export's manifest does.
    let media = text.lines().find(|l| l.contains("(pairs.jsonl line 7) image: ")).map(str::trim);
    assert!(media.is_some_and(|m| m.starts_with("sample ") && m.contains("missing.jpg")), "{text}");
    assert!(!text.contains(" row "), "no JSON Lines position is called a row:\n{text}");
}

#[test]
fn json_positions_are_array_indices() {
    let ws = Workspace::new();
    let good = |i: usize| format!("{{\"prompt\": \"q{i}\", \"chosen\": \"a{i}\", \"rejected\": \"b{i}\"}}");
    let body = format!(
        "[\n {},\n {},\n {{\"prompt\": \"q\", \"rejected\": \"r\"}},\n \"just text\",\n {}\n] and more\n",
        good(0),
        good(1),
        good(4)
    );
    let file = ws.write("pairs.json", body);
    let project = ws.project();
    let (out, err) = import_out(&project, &file);
    assert!(out.contains("3 samples added, 3 errors"), "{out}");
    let name = file.display().to_string();
    has_line(&err, &format!("error: {name} index 2 field chosen: missing required field"));
    has_line(&err, &format!("error: {name} index 3: expected an object, found a string"));
    // Text after the array is not dropped silently: it is reported where reading stopped.
    has_line(
        &err,
        &format!(
            "error: {name} index 5: malformed JSON at line 7 column 3: trailing characters; the rest of the file is not read"
        ),
    );
    let text = info(&project);
    has_line(&text, "error pairs.json index 2 field chosen: missing required field");
    has_line(&text, "error pairs.json index 3: expected an object, found a string");
    has_line(
        &text,
        "error pairs.json index 5: malformed JSON at line 7 column 3: trailing characters; the rest of the file is not read",
    );
}

fn pairs_batch(rows: &[(&str, Option<&str>, Option<&str>)]) -> RecordBatch {
    let prompt: ArrayRef = Arc::new(rows.iter().map(|r| Some(r.0)).collect::<StringArray>());
    let chosen: ArrayRef = Arc::new(rows.iter().map(|r| r.1).collect::<StringArray>());
    let rejected: ArrayRef = Arc::new(rows.iter().map(|r| r.2).collect::<StringArray>());
    RecordBatch::try_from_iter([("prompt", prompt), ("chosen", chosen), ("rejected", rejected)]).expect("batch")
}

#[test]
fn parquet_positions_are_rows_counted_from_zero() {
    let ws = Workspace::new();
    let rows: Vec<(String, Option<&str>, Option<&str>)> = (0..8)
        .map(|i| {
            let chosen = if i == 6 { None } else { Some("a") };
            let rejected = if i == 3 { None } else { Some("b") };
            (format!("q{i}"), chosen, rejected)
        })
        .collect();
    let rows: Vec<(&str, Option<&str>, Option<&str>)> = rows.iter().map(|(p, c, r)| (p.as_str(), *c, *r)).collect();
    let file = ws.path("pairs.parquet");
    let batch = pairs_batch(&rows);
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file).expect("create"), batch.schema(), None)
            .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let project = ws.project();
    let (out, err) = import_out(&project, &file);
    assert!(out.contains("6 samples added, 2 errors"), "{out}");
    let name = file.display().to_string();
    has_line(&err, &format!("error: {name} row 3 field rejected: missing required field"));
    has_line(&err, &format!("error: {name} row 6 field chosen: missing required field"));
    let text = info(&project);
    has_line(&text, "error pairs.parquet row 3 field rejected: missing required field");
    has_line(&text, "error pairs.parquet row 6 field chosen: missing required field");
}

#[test]
fn a_save_to_disk_folder_names_the_arrow_file_of_each_row() {
    let ws = Workspace::new();
    let first = pairs_batch(&[("q0", Some("a"), Some("b")), ("q1", Some("a"), Some("b"))]);
    let second = pairs_batch(&[("q2", Some("a"), Some("b")), ("q3", None, Some("b")), ("q4", Some("a"), Some("b"))]);
    std::fs::create_dir_all(ws.path("ds")).expect("mkdir");
    common::write_arrow_stream(&ws.path("ds/data-00000-of-00002.arrow"), &first);
    common::write_arrow_stream(&ws.path("ds/data-00001-of-00002.arrow"), &second);
    ws.write(
        "ds/state.json",
        r#"{"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}]}"#,
    );
    let project = ws.project();
    let (_, err) = import_out(&project, &ws.path("ds"));
    let second_file = ws.path("ds/data-00001-of-00002.arrow").canonicalize().expect("exists");
    has_line(&err, &format!("error: {} row 1 field chosen: missing required field", second_file.display()));
    let text = info(&project);
    has_line(&text, "error ds/data-00001-of-00002.arrow row 1 field chosen: missing required field");
    assert_eq!(text.matches("field chosen").count(), 1, "the first file has no issue:\n{text}");
}
