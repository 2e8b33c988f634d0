//! Arrow arrays to [`Value`] rows: the one place that knows Arrow's types.

use crate::model::Value;
use crate::model::value::Map;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type,
    UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};

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
        DataType::Utf8 => Value::Str(array.as_string::<i32>().value(i).to_owned()),
        DataType::LargeUtf8 => Value::Str(array.as_string::<i64>().value(i).to_owned()),
        DataType::Utf8View => Value::Str(array.as_string_view().value(i).to_owned()),
        DataType::Binary => Value::Bytes(array.as_binary::<i32>().value(i).to_vec()),
        DataType::LargeBinary => Value::Bytes(array.as_binary::<i64>().value(i).to_vec()),
        DataType::BinaryView => Value::Bytes(array.as_binary_view().value(i).to_vec()),
        DataType::FixedSizeBinary(_) => Value::Bytes(array.as_fixed_size_binary().value(i).to_vec()),
        DataType::List(_) => list(array.as_list::<i32>().value(i).as_ref()),
        DataType::LargeList(_) => list(array.as_list::<i64>().value(i).as_ref()),
        DataType::FixedSizeList(_, _) => list(array.as_fixed_size_list().value(i).as_ref()),
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut map = Map::with_capacity(fields.len());
            for (field, column) in fields.iter().zip(s.columns()) {
                map.insert(field.name().clone(), cell(column.as_ref(), i));
            }
            Value::Map(map)
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(i);
            let keys = entries.column(0);
            let values = entries.column(1);
            let mut map = Map::with_capacity(entries.len());
            for j in 0..entries.len() {
                let key = cell(keys.as_ref(), j).to_text().unwrap_or_default();
                map.insert(key, cell(values.as_ref(), j));
            }
            Value::Map(map)
        }
        DataType::Dictionary(_, _) => {
            let dict = array.as_any_dictionary();
            let key = dict.normalized_keys()[i];
            cell(dict.values().as_ref(), key)
        }
        DataType::Date32 => Value::Int(i64::from(array.as_primitive::<Date32Type>().value(i))),
        DataType::Timestamp(unit, _) => Value::Int(match unit {
            TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(i),
            TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(i),
            TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(i),
            TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(i),
        }),
        other => Value::Str(format!("<unsupported Arrow type {other}>")),
    }
}

fn list(values: &dyn Array) -> Value {
    Value::List((0..values.len()).map(|j| cell(values, j)).collect())
}
