//! Integers beyond i64 are kept exactly: JSON numbers such as 18446744073709551615 or
//! 123456789012345678901234567890 and Parquet `UInt64` values above `i64::MAX` survive the import and
//! come back digit for digit in the `original` export (rows a curator edited included, which are
//! written again rather than copied) and in the `verdict` export, and through a `verdict` export
//! imported again.

mod common;
use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt64Array};
use common::{Workspace, import, stderr, verdict};
use std::path::Path;
use std::sync::Arc;
use verdict::model::{SampleId, Value};
use verdict::store::{CurationAction, Store};

const U64_MAX: &str = "18446744073709551615";
const HUGE: &str = "123456789012345678901234567890";
const NEG: &str = "-99999999999999999999";

fn export(project: &Path, out: &Path, format: &str) {
    common::export(project, out, &["--format", format, "--include-flagged"]);
}

/// The JSON text of a line, parsed exactly, as a map.
fn map_of(text: &str) -> verdict::model::value::Map {
    match Value::parse_json(text).expect("JSON") {
        Value::Map(m) => m,
        other => panic!("not an object: {other:?}"),
    }
}

fn swap_first(project: &Path) {
    let mut store = Store::open(project).expect("store");
    let id: i64 =
        store.conn().query_row("SELECT id FROM samples ORDER BY row_index LIMIT 1", [], |r| r.get(0)).expect("sample");
    store.apply(&verdict::store::Actor::new("ana", "test"), SampleId(id), &CurationAction::Swap).expect("swap");
}

/// The `extras` of every line of a `verdict` export.
fn verdict_extras(out: &Path) -> Vec<verdict::model::value::Map> {
    std::fs::read_to_string(out.join("train.jsonl"))
        .expect("verdict export")
        .lines()
        .map(|l| match map_of(l).shift_remove("extras") {
            Some(Value::Map(m)) => m,
            other => panic!("extras: {other:?}"),
        })
        .collect()
}

#[test]
fn json_lines_and_json_integers_beyond_i64_come_back_digit_for_digit() {
    let ws = Workspace::new();
    let row = |i: usize| {
        format!(
            "{{\"prompt\": \"q{i}\", \"chosen\": \"a{i}\", \"rejected\": \"b{i}\", \"big\": {U64_MAX}, \"huge\": {HUGE}, \"neg\": {NEG}, \"nested\": {{\"ids\": [{HUGE}, {i}]}}}}"
        )
    };
    let jsonl = ws.write("pairs.jsonl", format!("{}\n{}\n", row(0), row(1)));
    let json = ws.write("pairs.json", format!("[\n{},\n{}\n]\n", row(0), row(1)));
    let project = ws.project();
    import(&project, &jsonl);
    swap_first(&project);
    let second = ws.path("second.verdict");
    import(&second, &json);

    // original: the untouched line is copied, the swapped one written again; both keep the digits.
    let out = ws.path("original");
    export(&project, &out, "original");
    let lines: Vec<String> =
        std::fs::read_to_string(out.join("pairs.jsonl")).expect("jsonl").lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], row(1), "the untouched row, byte for byte");
    let mut want_edited = map_of(&row(0));
    want_edited.insert("chosen".into(), Value::Str("b0".into()));
    want_edited.insert("rejected".into(), Value::Str("a0".into()));
    assert_eq!(map_of(&lines[0]), want_edited, "the swap landed, every other value exact");
    assert!(
        lines[0]
            .ends_with(&format!("\"big\":{U64_MAX},\"huge\":{HUGE},\"neg\":{NEG},\"nested\":{{\"ids\":[{HUGE},0]}}}}")),
        "{}",
        lines[0]
    );

    // JSON: written again from the parsed rows, the digits as they were.
    let out_json = ws.path("original-json");
    export(&second, &out_json, "original");
    let text = std::fs::read_to_string(out_json.join("pairs.json")).expect("json");
    assert_eq!(text.matches(&format!(":{HUGE}")).count(), 2, "{text}");
    assert_eq!(text.matches(&format!("[{HUGE},")).count(), 2, "{text}");
    assert_eq!(text.matches(&format!(":{U64_MAX}")).count(), 2, "{text}");
    assert_eq!(text.matches(&format!(":{NEG}")).count(), 2, "{text}");

    // verdict: the extras keep every digit, and so does a verdict export imported again.
    let out_v = ws.path("verdict");
    export(&project, &out_v, "verdict");
    let want = |i: i64| {
        let mut m = verdict::model::value::Map::new();
        m.insert("big".into(), Value::Number(U64_MAX.into()));
        m.insert("huge".into(), Value::Number(HUGE.into()));
        m.insert("neg".into(), Value::Number(NEG.into()));
        let mut nested = verdict::model::value::Map::new();
        nested.insert("ids".into(), Value::List(vec![Value::Number(HUGE.into()), Value::Int(i)]));
        m.insert("nested".into(), Value::Map(nested));
        m
    };
    assert_eq!(verdict_extras(&out_v), vec![want(0), want(1)]);
    let raw = std::fs::read_to_string(out_v.join("train.jsonl")).expect("verdict");
    assert!(
        raw.contains(&format!(
            "\"extras\":{{\"big\":{U64_MAX},\"huge\":{HUGE},\"neg\":{NEG},\"nested\":{{\"ids\":[{HUGE},0]}}}}"
        )),
        "{raw}"
    );
    let third = ws.path("third.verdict");
    let o = verdict(&[
        "import",
        "--project",
        third.to_str().expect("utf8"),
        out_v.join("train.jsonl").to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out_again = ws.path("verdict-again");
    export(&third, &out_again, "verdict");
    assert_eq!(verdict_extras(&out_again), vec![want(0), want(1)]);
}

#[test]
fn parquet_uint64_above_i64_max_comes_back_exactly() {
    let ws = Workspace::new();
    let values = [u64::MAX, i64::MAX as u64 + 1, 7];
    let text = |p: &str| -> ArrayRef { Arc::new((0..3).map(|i| Some(format!("{p}{i}"))).collect::<StringArray>()) };
    let batch = RecordBatch::try_from_iter([
        ("prompt", text("q")),
        ("chosen", text("a")),
        ("rejected", text("b")),
        ("id64", Arc::new(UInt64Array::from(values.to_vec())) as ArrayRef),
    ])
    .expect("batch");
    let file = ws.path("pairs.parquet");
    let mut w =
        parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file).expect("create"), batch.schema(), None)
            .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let project = ws.project();
    import(&project, &file);
    swap_first(&project);

    let out = ws.path("original");
    export(&project, &out, "original");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(out.join("pairs.parquet")).expect("open"),
    )
    .expect("parquet")
    .build()
    .expect("reader");
    let mut back = Vec::new();
    for b in reader {
        let b = b.expect("batch");
        let col = b.column_by_name("id64").expect("column");
        let col = col.as_any().downcast_ref::<UInt64Array>().expect("still UInt64");
        back.extend(col.values().iter().copied());
    }
    assert_eq!(back, values);

    let out_v = ws.path("verdict");
    export(&project, &out_v, "verdict");
    let ids: Vec<Value> = verdict_extras(&out_v).into_iter().map(|m| m["id64"].clone()).collect();
    assert_eq!(ids, [Value::Number(U64_MAX.into()), Value::Number("9223372036854775808".into()), Value::Int(7)]);
    let raw = std::fs::read_to_string(out_v.join("train.jsonl")).expect("verdict");
    assert!(raw.contains(&format!("\"id64\":{U64_MAX}")), "{raw}");
}
