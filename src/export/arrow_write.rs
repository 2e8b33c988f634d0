//! [`Value`]s to Arrow arrays of a given type: the inverse of the readers' `arrow_rows`, for the
//! Parquet files an export writes (target rows, and the columns `original` rewrites).

use crate::model::Value;
use arrow_array::builder::{BinaryBuilder, BooleanBuilder, LargeBinaryBuilder, LargeStringBuilder, StringBuilder};
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{ArrayRef, LargeListArray, ListArray, NullArray, PrimitiveArray, StructArray, new_null_array};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType, FieldRef};
use std::sync::Arc;

/// The values as an array of type `dt`. `Null` is a null entry; a value of another type than
/// the column's is an error naming what was found.
pub fn array_of(values: &[&Value], dt: &DataType) -> Result<ArrayRef, String> {
    let mismatch = |v: &Value| format!("a {} where the column holds {dt}", v.type_name());
    Ok(match dt {
        DataType::Null => Arc::new(NullArray::new(values.len())),
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Bool(x) => b.append_value(*x),
                    other => return Err(mismatch(other)),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Int8 => ints::<Int8Type>(values, dt)?,
        DataType::Int16 => ints::<Int16Type>(values, dt)?,
        DataType::Int32 => ints::<Int32Type>(values, dt)?,
        DataType::Int64 => ints::<Int64Type>(values, dt)?,
        DataType::UInt8 => ints::<UInt8Type>(values, dt)?,
        DataType::UInt16 => ints::<UInt16Type>(values, dt)?,
        DataType::UInt32 => ints::<UInt32Type>(values, dt)?,
        DataType::UInt64 => ints::<UInt64Type>(values, dt)?,
        DataType::Float32 => {
            let items: Result<Vec<Option<f32>>, String> =
                values.iter().map(|v| float(v, dt).map(|f| f.map(|x| x as f32))).collect();
            Arc::new(PrimitiveArray::<Float32Type>::from(items?))
        }
        DataType::Float64 => {
            let items: Result<Vec<Option<f64>>, String> = values.iter().map(|v| float(v, dt)).collect();
            Arc::new(PrimitiveArray::<Float64Type>::from(items?))
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(text(v, dt)?);
            }
            Arc::new(b.finish())
        }
        DataType::LargeUtf8 => {
            let mut b = LargeStringBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(text(v, dt)?);
            }
            Arc::new(b.finish())
        }
        DataType::Binary => {
            let mut b = BinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(bytes(v, dt)?);
            }
            Arc::new(b.finish())
        }
        DataType::LargeBinary => {
            let mut b = LargeBinaryBuilder::with_capacity(values.len(), 0);
            for v in values {
                b.append_option(bytes(v, dt)?);
            }
            Arc::new(b.finish())
        }
        DataType::List(field) => {
            let (offsets, child, nulls) = list_parts::<i32>(values, field, dt)?;
            Arc::new(
                ListArray::try_new(field.clone(), OffsetBuffer::new(offsets.into()), child, nulls)
                    .map_err(|e| e.to_string())?,
            )
        }
        DataType::LargeList(field) => {
            let (offsets, child, nulls) = list_parts::<i64>(values, field, dt)?;
            Arc::new(
                LargeListArray::try_new(field.clone(), OffsetBuffer::new(offsets.into()), child, nulls)
                    .map_err(|e| e.to_string())?,
            )
        }
        DataType::Struct(fields) => {
            let mut valid = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    Value::Null => valid.push(false),
                    Value::Map(_) => valid.push(true),
                    other => return Err(mismatch(other)),
                }
            }
            let null = Value::Null;
            let mut columns = Vec::with_capacity(fields.len());
            for f in fields {
                let cells: Vec<&Value> =
                    values.iter().map(|v| v.as_map().and_then(|m| m.get(f.name())).unwrap_or(&null)).collect();
                columns.push(array_of(&cells, f.data_type()).map_err(|e| format!("{}: {e}", f.name()))?);
            }
            if fields.is_empty() {
                return Ok(new_null_array(dt, values.len()));
            }
            let nulls = valid.iter().any(|v| !v).then(|| NullBuffer::from(valid));
            Arc::new(StructArray::try_new(fields.clone(), columns, nulls).map_err(|e| e.to_string())?)
        }
        other => return Err(format!("cannot write Arrow type {other}")),
    })
}

fn ints<T>(values: &[&Value], dt: &DataType) -> Result<ArrayRef, String>
where
    T: arrow_array::types::ArrowPrimitiveType,
    T::Native: TryFrom<i64> + std::str::FromStr,
{
    let items: Result<Vec<Option<T::Native>>, String> = values
        .iter()
        .map(|v| match v {
            Value::Null => Ok(None),
            Value::Int(i) => T::Native::try_from(*i).map(Some).map_err(|_| format!("{i} does not fit {dt}")),
            // An integer beyond i64 (a UInt64 above i64::MAX read back) goes back exactly.
            Value::Number(n) => n.parse::<T::Native>().map(Some).map_err(|_| format!("{n} does not fit {dt}")),
            Value::Bool(b) => {
                T::Native::try_from(i64::from(*b)).map(Some).map_err(|_| format!("{b} does not fit {dt}"))
            }
            other => Err(format!("a {} where the column holds {dt}", other.type_name())),
        })
        .collect();
    Ok(Arc::new(PrimitiveArray::<T>::from_iter(items?)))
}

fn float(v: &Value, dt: &DataType) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Float(f) => Ok(Some(*f)),
        Value::Int(i) => Ok(Some(*i as f64)),
        Value::Number(n) => n.parse().map(Some).map_err(|_| format!("{n} is not a number")),
        other => Err(format!("a {} where the column holds {dt}", other.type_name())),
    }
}

fn text<'v>(v: &'v Value, dt: &DataType) -> Result<Option<&'v str>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Str(s) => Ok(Some(s)),
        other => Err(format!("a {} where the column holds {dt}", other.type_name())),
    }
}

fn bytes<'v>(v: &'v Value, dt: &DataType) -> Result<Option<&'v [u8]>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Bytes(b) => Ok(Some(b)),
        Value::Str(s) => Ok(Some(s.as_bytes())),
        other => Err(format!("a {} where the column holds {dt}", other.type_name())),
    }
}

type ListParts<O> = (Vec<O>, ArrayRef, Option<NullBuffer>);

fn list_parts<O>(values: &[&Value], field: &FieldRef, dt: &DataType) -> Result<ListParts<O>, String>
where
    O: TryFrom<usize> + Copy,
{
    let mut offsets = Vec::with_capacity(values.len() + 1);
    let mut items: Vec<&Value> = Vec::new();
    let mut valid = Vec::with_capacity(values.len());
    let offset = |n: usize| O::try_from(n).map_err(|_| format!("too many list items for {dt}"));
    offsets.push(offset(0)?);
    for v in values {
        match v {
            Value::Null => valid.push(false),
            Value::List(l) => {
                items.extend(l.iter());
                valid.push(true);
            }
            other => return Err(format!("a {} where the column holds {dt}", other.type_name())),
        }
        offsets.push(offset(items.len())?);
    }
    let child = array_of(&items, field.data_type())?;
    let nulls = valid.iter().any(|v| !v).then(|| NullBuffer::from(valid));
    Ok((offsets, child, nulls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::readers::record_batch_rows;
    use arrow_array::RecordBatch;
    use arrow_schema::{Field, Fields, Schema};

    #[test]
    fn nested_values_round_trip_through_arrow() {
        let part =
            Fields::from(vec![Field::new("type", DataType::Utf8, true), Field::new("text", DataType::Utf8, true)]);
        let message = Fields::from(vec![
            Field::new("role", DataType::Utf8, true),
            Field::new("content", DataType::List(Arc::new(Field::new("item", DataType::Struct(part), true))), true),
        ]);
        let schema = Arc::new(Schema::new(vec![
            Field::new("prompt", DataType::List(Arc::new(Field::new("item", DataType::Struct(message), true))), true),
            Field::new("n", DataType::Int32, true),
            Field::new("b", DataType::Binary, true),
        ]));
        let rows: Vec<Value> = [
            r#"{"prompt":[{"role":"user","content":[{"type":"image","text":null},{"type":"text","text":"hi"}]}],"n":3,"b":null}"#,
            r#"{"prompt":null,"n":null,"b":null}"#,
        ]
        .iter()
        .map(|t| serde_json::from_str(t).expect("json"))
        .collect();
        let mut columns = Vec::new();
        for f in schema.fields() {
            let cells: Vec<&Value> =
                rows.iter().map(|r| r.as_map().and_then(|m| m.get(f.name())).expect("cell")).collect();
            columns.push(array_of(&cells, f.data_type()).expect("converts"));
        }
        let batch = RecordBatch::try_new(schema, columns).expect("batch");
        assert_eq!(record_batch_rows(&batch, 0), rows);
    }

    #[test]
    fn a_wrong_type_names_what_was_found() {
        let v = Value::Str("x".into());
        let err = array_of(&[&v], &DataType::Int64).expect_err("refused");
        assert!(err.contains("string"), "{err}");
    }
}
