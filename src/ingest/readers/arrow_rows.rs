//! Arrow arrays to [`Value`] rows: the one place that knows Arrow's types.
//!
//! Every Arrow type converts, and losslessly: integers beyond i64 and decimals as exact number
//! text ([`Value::Number`]), dates, times and timestamps as ISO 8601 text with their unit's
//! precision and their zone (`arrow_time.rs`), durations as exact seconds, intervals as their
//! parts, unions as `{variant: value}`, dictionaries, run-end encoded arrays and list views as the
//! values they stand for, maps with keys that are not distinct texts as `[{key, value}]`. The match
//! below names every `DataType` with no catch-all, so a type a later Arrow adds fails to compile
//! here instead of reaching the data as a placeholder.

use super::arrow_time;
use crate::model::Value;
use crate::model::value::Map;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, DurationMicrosecondType,
    DurationMillisecondType, DurationNanosecondType, DurationSecondType, Float16Type, Float32Type, Float64Type,
    Int8Type, Int16Type, Int32Type, Int64Type, IntervalDayTimeType, IntervalMonthDayNanoType, IntervalYearMonthType,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type,
    UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, IntervalUnit, TimeUnit};

/// The rows of `batch` from `start` on, each a map of column name to value.
pub fn record_batch_rows(batch: &RecordBatch, start: usize) -> Vec<Value> {
    let schema = batch.schema();
    (start..batch.num_rows())
        .map(|row| {
            let mut map = Map::with_capacity(batch.num_columns());
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                map.insert(field.name().clone(), cell(column.as_ref(), row));
            }
            Value::Map(map)
        })
        .collect()
}

/// Every cell of one column.
pub fn column_values(array: &dyn Array) -> Vec<Value> {
    (0..array.len()).map(|i| cell(array, i)).collect()
}

/// One cell of an array.
fn cell(array: &dyn Array, i: usize) -> Value {
    if array.is_null(i) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
        DataType::Int8 => Value::Int(i64::from(array.as_primitive::<Int8Type>().value(i))),
        DataType::Int16 => Value::Int(i64::from(array.as_primitive::<Int16Type>().value(i))),
        DataType::Int32 => Value::Int(i64::from(array.as_primitive::<Int32Type>().value(i))),
        DataType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => Value::Int(i64::from(array.as_primitive::<UInt8Type>().value(i))),
        DataType::UInt16 => Value::Int(i64::from(array.as_primitive::<UInt16Type>().value(i))),
        DataType::UInt32 => Value::Int(i64::from(array.as_primitive::<UInt32Type>().value(i))),
        DataType::UInt64 => {
            let v = array.as_primitive::<UInt64Type>().value(i);
            i64::try_from(v).map_or_else(|_| Value::Number(v.to_string()), Value::Int)
        }
        DataType::Float16 => Value::Float(f64::from(array.as_primitive::<Float16Type>().value(i).to_f32())),
        DataType::Float32 => Value::Float(f64::from(array.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal32(..) => Value::Number(array.as_primitive::<Decimal32Type>().value_as_string(i)),
        DataType::Decimal64(..) => Value::Number(array.as_primitive::<Decimal64Type>().value_as_string(i)),
        DataType::Decimal128(..) => Value::Number(array.as_primitive::<Decimal128Type>().value_as_string(i)),
        DataType::Decimal256(..) => Value::Number(array.as_primitive::<Decimal256Type>().value_as_string(i)),
        DataType::Utf8 => Value::Str(array.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Value::Str(array.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => Value::Str(array.as_string_view().value(i).to_owned()),
        DataType::Binary => Value::Bytes(array.as_binary::<i32>().value(i).to_vec()),
        DataType::LargeBinary => Value::Bytes(array.as_binary::<i64>().value(i).to_vec()),
        DataType::BinaryView => Value::Bytes(array.as_binary_view().value(i).to_vec()),
        DataType::FixedSizeBinary(_) => Value::Bytes(array.as_fixed_size_binary().value(i).to_vec()),
        DataType::List(_) => list(array.as_list::<i32>().value(i).as_ref()),
        DataType::LargeList(_) => list(array.as_list::<i64>().value(i).as_ref()),
        DataType::ListView(_) => list(array.as_list_view::<i32>().value(i).as_ref()),
        DataType::LargeListView(_) => list(array.as_list_view::<i64>().value(i).as_ref()),
        DataType::FixedSizeList(_, _) => list(array.as_fixed_size_list().value(i).as_ref()),
        DataType::Struct(fields) => {
            let columns = array.as_struct().columns();
            pairs(fields.iter().map(|f| Value::Str(f.name().clone())).zip(columns.iter().map(|c| cell(c.as_ref(), i))))
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            pairs((0..entries.len()).map(|j| (cell(keys.as_ref(), j), cell(values.as_ref(), j))))
        }
        DataType::Union(fields, _) => {
            let union = array.as_union();
            let id = union.type_id(i);
            let name = fields.iter().find(|(t, _)| *t == id).map(|(_, f)| f.name().clone()).unwrap_or_default();
            let mut map = Map::with_capacity(1);
            map.insert(name, cell(union.child(id).as_ref(), union.value_offset(i)));
            Value::Map(map)
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let values = dict.values();
            match cell(dict.keys(), i).to_i64().and_then(|k| usize::try_from(k).ok()) {
                Some(k) if k < values.len() => cell(values.as_ref(), k),
                _ => Value::Null,
            }
        }
        DataType::RunEndEncoded(run_ends, _) => {
            let physical = match run_ends.data_type() {
                DataType::Int16 => array.as_run::<Int16Type>().get_physical_index(i),
                DataType::Int32 => array.as_run::<Int32Type>().get_physical_index(i),
                _ => array.as_run::<Int64Type>().get_physical_index(i),
            };
            cell(array.as_any_ree().values().as_ref(), physical)
        }
        DataType::Date32 => Value::Str(arrow_time::date(i64::from(array.as_primitive::<Date32Type>().value(i)))),
        DataType::Date64 => Value::Str(arrow_time::date64(array.as_primitive::<Date64Type>().value(i))),
        DataType::Time32(unit) => Value::Str(arrow_time::time(time32(array, *unit, i), *unit)),
        DataType::Time64(unit) => Value::Str(arrow_time::time(time64(array, *unit, i), *unit)),
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(i),
            };
            Value::Str(arrow_time::timestamp(v, *unit, tz.as_deref()))
        }
        DataType::Duration(unit) => {
            let v = match unit {
                TimeUnit::Second => array.as_primitive::<DurationSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<DurationMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<DurationNanosecondType>().value(i),
            };
            Value::Number(arrow_time::duration_seconds(v, *unit))
        }
        DataType::Interval(unit) => interval(array, *unit, i),
    }
}

fn list(values: &dyn Array) -> Value {
    Value::List((0..values.len()).map(|j| cell(values, j)).collect())
}

/// Key-value pairs as an object when every key is a distinct text (a struct's fields, most maps),
/// else as `[{key, value}]`, so no entry is lost to a repeated or non-text key.
fn pairs(entries: impl Iterator<Item = (Value, Value)>) -> Value {
    let entries: Vec<(Value, Value)> = entries.collect();
    let distinct = if entries.len() <= 32 {
        entries
            .iter()
            .enumerate()
            .all(|(j, (k, _))| k.as_str().is_some_and(|s| !entries[..j].iter().any(|(o, _)| o.as_str() == Some(s))))
    } else {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        entries.iter().all(|(k, _)| k.as_str().is_some_and(|s| seen.insert(s)))
    };
    if distinct {
        return Value::Map(
            entries.into_iter().filter_map(|(k, v)| if let Value::Str(s) = k { Some((s, v)) } else { None }).collect(),
        );
    }
    let list = entries.into_iter().map(|(key, value)| {
        let mut m = Map::with_capacity(2);
        m.insert("key".into(), key);
        m.insert("value".into(), value);
        Value::Map(m)
    });
    Value::List(list.collect())
}

fn time32(array: &dyn Array, unit: TimeUnit, i: usize) -> i64 {
    i64::from(match unit {
        TimeUnit::Second => array.as_primitive::<Time32SecondType>().value(i),
        _ => array.as_primitive::<Time32MillisecondType>().value(i),
    })
}

fn time64(array: &dyn Array, unit: TimeUnit, i: usize) -> i64 {
    match unit {
        TimeUnit::Microsecond => array.as_primitive::<Time64MicrosecondType>().value(i),
        _ => array.as_primitive::<Time64NanosecondType>().value(i),
    }
}

/// An interval as its parts: `{months}`, `{days, milliseconds}` or `{months, days, nanoseconds}`.
fn interval(array: &dyn Array, unit: IntervalUnit, i: usize) -> Value {
    let parts: Vec<(&str, i64)> = match unit {
        IntervalUnit::YearMonth => vec![("months", i64::from(array.as_primitive::<IntervalYearMonthType>().value(i)))],
        IntervalUnit::DayTime => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(i);
            vec![("days", i64::from(v.days)), ("milliseconds", i64::from(v.milliseconds))]
        }
        IntervalUnit::MonthDayNano => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(i);
            vec![("months", i64::from(v.months)), ("days", i64::from(v.days)), ("nanoseconds", v.nanoseconds)]
        }
    };
    Value::Map(parts.into_iter().map(|(k, v)| (k.to_owned(), Value::Int(v))).collect())
}
