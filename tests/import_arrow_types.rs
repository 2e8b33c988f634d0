//! Every Arrow type a Parquet or Arrow file can hold reaches the project converted, losslessly,
//! never as a placeholder: decimals and integers beyond i64 as exact numbers, large and view
//! strings and binaries, durations as exact seconds, dates, times and timestamps (with their zone)
//! as ISO 8601 text, fixed-size lists, maps (with non-text keys too), dictionaries of several value
//! types, intervals, unions, run-end encoded arrays and list views. The files are generated here
//! with the `arrow` and `parquet` crates; each column lands in the sample's extras, which must
//! equal what the test expects and the import report must be empty.

mod common;
use arrow_array::builder::{
    FixedSizeListBuilder, Int32Builder, Int64Builder, MapBuilder, StringBuilder, StringDictionaryBuilder,
};
use arrow_array::types::{Int8Type, Int32Type};
use arrow_array::{
    ArrayRef, BinaryViewArray, Date32Array, Date64Array, Decimal32Array, Decimal64Array, Decimal128Array,
    Decimal256Array, DictionaryArray, DurationMillisecondArray, DurationNanosecondArray, FixedSizeBinaryArray,
    Float16Array, Float64Array, Int32Array, Int64Array, IntervalDayTimeArray, IntervalMonthDayNanoArray,
    IntervalYearMonthArray, LargeBinaryArray, LargeStringArray, ListViewArray, RecordBatch, RunArray, StringArray,
    StringViewArray, Time32MillisecondArray, Time64NanosecondArray, TimestampMicrosecondArray,
    TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray, UInt16Array, UInt64Array, UnionArray,
};
use arrow_buffer::{IntervalDayTime, IntervalMonthDayNano, ScalarBuffer, i256};
use arrow_schema::{DataType, Field, UnionFields};
use common::{Workspace, count, import};
use std::path::Path;
use std::sync::Arc;
use verdict::model::Value;
use verdict::model::value::Map;

const ROWS: usize = 2;

/// A column, what each of its two rows must read as (JSON, parsed exactly), and whether Parquet
/// can hold it (unions, run-end encoding and list views exist only in Arrow files).
struct Column {
    name: &'static str,
    array: ArrayRef,
    want: [&'static str; ROWS],
    parquet: bool,
}

fn col(name: &'static str, array: impl arrow_array::Array + 'static, want: [&'static str; ROWS]) -> Column {
    Column { name, array: Arc::new(array), want, parquet: true }
}

fn arrow_only(name: &'static str, array: impl arrow_array::Array + 'static, want: [&'static str; ROWS]) -> Column {
    Column { parquet: false, ..col(name, array, want) }
}

fn columns() -> Vec<Column> {
    let t = 1_704_164_645_123_456_789_i64; // 2024-01-02T03:04:05.123456789Z
    let mut fsl = FixedSizeListBuilder::new(Int32Builder::new(), 2);
    for (a, b) in [(1, 2), (3, 4)] {
        fsl.values().append_value(a);
        fsl.values().append_value(b);
        fsl.append(true);
    }
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    map.keys().append_value("a");
    map.values().append_value(1);
    map.keys().append_value("b");
    map.values().append_value(2);
    map.append(true).expect("entry");
    map.append(true).expect("empty");
    let mut int_keys = MapBuilder::new(None, Int32Builder::new(), StringBuilder::new());
    int_keys.keys().append_value(7);
    int_keys.values().append_value("seven");
    int_keys.append(true).expect("entry");
    int_keys.keys().append_value(1);
    int_keys.values().append_value("x");
    int_keys.keys().append_value(1);
    int_keys.values().append_value("y");
    int_keys.append(true).expect("repeated key");
    let mut dict_str = StringDictionaryBuilder::<Int32Type>::new();
    dict_str.append_value("red");
    dict_str.append_value("red");
    let dict_f64 =
        DictionaryArray::<Int8Type>::try_new(vec![1i8, 0].into(), Arc::new(Float64Array::from(vec![0.5, 2.25])))
            .expect("dict");
    let dict_large =
        DictionaryArray::<Int8Type>::try_new(vec![0i8, 0].into(), Arc::new(LargeStringArray::from(vec!["big"])))
            .expect("dict");
    let dict_u16 = DictionaryArray::<arrow_array::types::UInt16Type>::try_new(
        vec![1u16, 1].into(),
        Arc::new(UInt64Array::from(vec![1, u64::MAX])),
    )
    .expect("dict");
    let union_fields = UnionFields::try_new(
        vec![0, 1],
        vec![Field::new("i", DataType::Int32, false), Field::new("s", DataType::Utf8, false)],
    )
    .expect("fields");
    let sparse = UnionArray::try_new(
        union_fields.clone(),
        ScalarBuffer::from(vec![0i8, 1]),
        None,
        vec![Arc::new(Int32Array::from(vec![5, 0])), Arc::new(StringArray::from(vec!["", "five"]))],
    )
    .expect("sparse union");
    let dense = UnionArray::try_new(
        union_fields,
        ScalarBuffer::from(vec![1i8, 0]),
        Some(ScalarBuffer::from(vec![0i32, 0])),
        vec![Arc::new(Int32Array::from(vec![6])), Arc::new(StringArray::from(vec!["six"]))],
    )
    .expect("dense union");
    let ree = RunArray::<Int32Type>::try_new(&Int32Array::from(vec![2]), &StringArray::from(vec!["same"]))
        .expect("run-end encoded");
    let list_view = ListViewArray::new(
        Arc::new(Field::new_list_field(DataType::Int32, false)),
        ScalarBuffer::from(vec![1i32, 0]),
        ScalarBuffer::from(vec![2i32, 1]),
        Arc::new(Int32Array::from(vec![10, 20, 30])),
        None,
    );
    vec![
        col("u64", UInt64Array::from(vec![u64::MAX, 3]), ["18446744073709551615", "3"]),
        col("f16", Float16Array::from(vec![half::f16::from_f32(1.5), half::f16::from_f32(-0.25)]), ["1.5", "-0.25"]),
        col(
            "dec32",
            Decimal32Array::from(vec![12_345, -5]).with_precision_and_scale(9, 2).expect("decimal"),
            ["123.45", "-0.05"],
        ),
        col(
            "dec64",
            Decimal64Array::from(vec![1_234_567_890_123, 0]).with_precision_and_scale(18, 4).expect("decimal"),
            ["123456789.0123", "0.0000"],
        ),
        col(
            "dec128",
            Decimal128Array::from(vec![123_456_789_012_345_678_901_234_567_890_i128, -1])
                .with_precision_and_scale(38, 10)
                .expect("decimal"),
            ["12345678901234567890.1234567890", "-0.0000000001"],
        ),
        col(
            "dec256",
            Decimal256Array::from(vec![i256::from_i128(i128::MAX) * i256::from_i128(1000), i256::from_i128(42)])
                .with_precision_and_scale(76, 0)
                .expect("decimal"),
            ["170141183460469231731687303715884105727000", "42"],
        ),
        col("large_str", LargeStringArray::from(vec!["long", "text"]), [r#""long""#, r#""text""#]),
        col(
            "str_view",
            StringViewArray::from(vec!["viewed", "a string longer than twelve bytes"]),
            [r#""viewed""#, r#""a string longer than twelve bytes""#],
        ),
        col("large_bin", LargeBinaryArray::from(vec![b"ab".as_slice(), b"".as_slice()]), ["blob", "blob"]),
        col("bin_view", BinaryViewArray::from(vec![b"cd".as_slice(), b"e".as_slice()]), ["blob", "blob"]),
        col(
            "fixed_bin",
            FixedSizeBinaryArray::try_from_iter(vec![b"xyz".to_vec(), b"uvw".to_vec()].into_iter()).expect("fsb"),
            ["blob", "blob"],
        ),
        col("dur_ms", DurationMillisecondArray::from(vec![1_500, -20]), ["1.500", "-0.020"]),
        col("dur_ns", DurationNanosecondArray::from(vec![5, 3_000_000_000]), ["0.000000005", "3.000000000"]),
        col(
            "ts_offset",
            TimestampMicrosecondArray::from(vec![t / 1000, 0]).with_timezone("+05:30"),
            [r#""2024-01-02T08:34:05.123456+05:30""#, r#""1970-01-01T05:30:00.000000+05:30""#],
        ),
        col(
            "ts_named",
            TimestampSecondArray::from(vec![t / 1_000_000_000, 0]).with_timezone("Europe/Paris"),
            [r#""2024-01-02T03:04:05Z[Europe/Paris]""#, r#""1970-01-01T00:00:00Z[Europe/Paris]""#],
        ),
        col(
            "ts_utc",
            TimestampNanosecondArray::from(vec![t, -1]).with_timezone("UTC"),
            [r#""2024-01-02T03:04:05.123456789Z""#, r#""1969-12-31T23:59:59.999999999Z""#],
        ),
        col(
            "ts_naive",
            TimestampMillisecondArray::from(vec![t / 1_000_000, 86_400_000]),
            [r#""2024-01-02T03:04:05.123""#, r#""1970-01-02T00:00:00.000""#],
        ),
        col("date32", Date32Array::from(vec![19_724, -1]), [r#""2024-01-02""#, r#""1969-12-31""#]),
        col(
            "date64",
            Date64Array::from(vec![1_704_153_600_000, 1_704_153_600_001]),
            [r#""2024-01-02""#, r#""2024-01-02T00:00:00.001""#],
        ),
        col("time32", Time32MillisecondArray::from(vec![3_723_500, 0]), [r#""01:02:03.500""#, r#""00:00:00.000""#]),
        col(
            "time64",
            Time64NanosecondArray::from(vec![1, 86_399_999_999_999]),
            [r#""00:00:00.000000001""#, r#""23:59:59.999999999""#],
        ),
        col("fixed_list", fsl.finish(), ["[1, 2]", "[3, 4]"]),
        col("map", map.finish(), [r#"{"a": 1, "b": 2}"#, "{}"]),
        col(
            "map_int_keys",
            int_keys.finish(),
            [r#"[{"key": 7, "value": "seven"}]"#, r#"[{"key": 1, "value": "x"}, {"key": 1, "value": "y"}]"#],
        ),
        col("dict_str", dict_str.finish(), [r#""red""#, r#""red""#]),
        col("dict_f64", dict_f64, ["2.25", "0.5"]),
        col("dict_large", dict_large, [r#""big""#, r#""big""#]),
        col("dict_u64", dict_u16, ["18446744073709551615", "18446744073709551615"]),
        col("interval_ym", IntervalYearMonthArray::from(vec![14, -1]), [r#"{"months": 14}"#, r#"{"months": -1}"#]),
        col(
            "interval_dt",
            IntervalDayTimeArray::from(vec![IntervalDayTime::new(3, 500), IntervalDayTime::new(0, 0)]),
            [r#"{"days": 3, "milliseconds": 500}"#, r#"{"days": 0, "milliseconds": 0}"#],
        ),
        arrow_only(
            "interval_mdn",
            IntervalMonthDayNanoArray::from(vec![
                IntervalMonthDayNano::new(1, 2, 3),
                IntervalMonthDayNano::new(0, 0, -4),
            ]),
            [r#"{"months": 1, "days": 2, "nanoseconds": 3}"#, r#"{"months": 0, "days": 0, "nanoseconds": -4}"#],
        ),
        arrow_only("union_sparse", sparse, [r#"{"i": 5}"#, r#"{"s": "five"}"#]),
        arrow_only("union_dense", dense, [r#"{"s": "six"}"#, r#"{"i": 6}"#]),
        arrow_only("run_end", ree, [r#""same""#, r#""same""#]),
        arrow_only("list_view", list_view, ["[20, 30]", "[10]"]),
        col("u16", UInt16Array::from(vec![65_535, 0]), ["65535", "0"]),
        col("i64", Int64Array::from(vec![i64::MIN, i64::MAX]), ["-9223372036854775808", "9223372036854775807"]),
    ]
}

fn batch(columns: &[Column]) -> RecordBatch {
    let text = |p: &str| -> ArrayRef { Arc::new((0..ROWS).map(|i| Some(format!("{p}{i}"))).collect::<StringArray>()) };
    let mut all: Vec<(&str, ArrayRef)> = vec![("prompt", text("q")), ("chosen", text("a")), ("rejected", text("b"))];
    all.extend(columns.iter().map(|c| (c.name, c.array.clone())));
    RecordBatch::try_from_iter(all).expect("batch")
}

/// Each stored sample's extras, in row order, parsed exactly.
fn extras(project: &Path) -> Vec<Map> {
    let conn = rusqlite::Connection::open(project).expect("opens");
    let mut stmt = conn.prepare("SELECT extras FROM samples ORDER BY row_index").expect("prepare");
    let texts: Vec<String> =
        stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("extras");
    texts
        .iter()
        .map(|t| match Value::parse_json(t).expect("JSON") {
            Value::Map(m) => m,
            other => panic!("extras are an object: {other:?}"),
        })
        .collect()
}

fn check(project: &Path, columns: &[Column]) {
    assert_eq!(count(project, "SELECT count(*) FROM samples"), ROWS as i64);
    assert_eq!(count(project, "SELECT count(*) FROM import_issues"), 0, "nothing to report");
    let rows = extras(project);
    for c in columns {
        for (row, want) in rows.iter().zip(c.want) {
            let got = row.get(c.name).unwrap_or_else(|| panic!("column {} is in the extras", c.name));
            if want == "blob" {
                // Binary values are stored once, by hash, like every binary extra.
                assert!(got.as_map().is_some_and(|m| m.contains_key("$blob")), "{}: {got:?}", c.name);
            } else {
                assert_eq!(got, &Value::parse_json(want).expect("expected JSON"), "column {}", c.name);
            }
        }
    }
}

#[test]
fn every_arrow_type_in_an_arrow_file_is_converted_losslessly() {
    let ws = Workspace::new();
    let columns = columns();
    let file = ws.path("types.arrow");
    common::write_arrow_stream(&file, &batch(&columns));
    let project = ws.project();
    import(&project, &file);
    check(&project, &columns);
}

#[test]
fn the_types_parquet_holds_are_converted_losslessly_from_parquet() {
    let ws = Workspace::new();
    let columns: Vec<Column> = columns().into_iter().filter(|c| c.parquet).collect();
    let file = ws.path("types.parquet");
    let b = batch(&columns);
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&file).expect("create"), b.schema(), None)
        .expect("writer");
    w.write(&b).expect("write");
    w.close().expect("close");
    let project = ws.project();
    import(&project, &file);
    check(&project, &columns);
}
