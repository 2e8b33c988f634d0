//! `Value`: one cell of a source row, whatever the file format.
//!
//! Like `serde_json::Value`, plus `Bytes` for the binary columns Parquet and Arrow carry (HF Image
//! structs), `Number` for numbers that neither `i64` nor `f64` holds exactly (integers beyond i64,
//! Arrow decimals), and with object keys kept in source order so unknown columns round-trip as they
//! came. Read JSON text with [`Value::parse_json`]: `serde_json` alone (without its
//! `arbitrary_precision`, which would slow every number) turns an integer beyond u64 into an f64.

use indexmap::IndexMap;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;

/// An object: keys in source order.
pub type Map = IndexMap<String, Value>;

/// One value of a source row.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// JSON `null` or a missing Parquet value.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A number kept as its exact decimal text where `Int` and `Float` would change it: integers
    /// beyond i64 (JSON `18446744073709551615`, Parquet `UInt64` above `i64::MAX`), Arrow decimals
    /// (`123.45`), durations in seconds. Always valid JSON number text, written out as it is.
    Number(String),
    /// A string.
    Str(String),
    /// Raw bytes (Parquet/Arrow binary).
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Value>),
    /// An object or struct.
    Map(Map),
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list, if this is one.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// `true` for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Scalars as text (ids and labels drift between int and string across datasets); `None` for
    /// null, bytes, lists and objects.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Number(n) => Some(n.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Integers, integral floats and numeric strings as `i64`.
    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            Value::Number(n) => n.parse().ok(),
            Value::Str(s) => s.trim().parse().ok(),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Numbers and numeric strings as `f64`.
    pub fn to_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Number(n) => n.parse().ok(),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A short name of the type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "integer",
            Value::Float(_) | Value::Number(_) => "number",
            Value::Str(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::List(_) => "list",
            Value::Map(_) => "object",
        }
    }

    /// Converts to JSON. Bytes become `{"$base64": "..."}` so nothing is lost. `serde_json::Value`
    /// cannot hold an integer beyond u64: such a `Number` becomes a string of its exact digits
    /// (other `Number`s, decimals, become the nearest f64).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Number(n) => {
                let integer = !n.contains(['.', 'e', 'E']);
                if let Ok(u) = n.parse::<u64>() {
                    serde_json::Value::from(u)
                } else if let (false, Ok(f)) = (integer, n.parse::<f64>()) {
                    serde_json::Value::from(f)
                } else {
                    serde_json::Value::String(n.clone())
                }
            }
            Value::List(l) => serde_json::Value::Array(l.iter().map(Value::to_json).collect()),
            Value::Map(m) => serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
        }
    }

    /// Parses JSON text with every integer exact: what `serde_json` reads exactly as it reads it
    /// (fast), and the rare text holding an integer beyond i64/u64 (which `serde_json` hands over as
    /// an f64) read again by an exact parser. Errors are `serde_json`'s.
    pub fn parse_json(text: impl AsRef<[u8]>) -> Result<Value, serde_json::Error> {
        super::value_json::parse(text.as_ref())
    }
}

/// The hashes of the binary values a stored row refers to (`{"$blob": HASH}`: how the project
/// keeps bytes of columns no preset maps), each once, in order of appearance.
pub fn blob_hashes<'a>(values: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Map(m) => {
                if m.len() == 1
                    && let Some(Value::Str(h)) = m.get("$blob")
                {
                    if !out.contains(h) {
                        out.push(h.clone());
                    }
                    return;
                }
                m.values().for_each(|v| walk(v, out));
            }
            Value::List(l) => l.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    values.into_iter().for_each(|v| walk(v, &mut out));
    out
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(u)) => Value::Number(u.to_string()),
                (None, None) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s),
            serde_json::Value::Array(a) => Value::List(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            // The text as it is, through serde_json's raw values (the one serializer Verdict uses).
            Value::Number(n) => match serde_json::value::RawValue::from_string(n.clone()) {
                Ok(raw) => raw.serialize(s),
                Err(_) => s.serialize_str(n),
            },
            Value::Str(v) => s.serialize_str(v),
            Value::Bytes(b) => {
                use base64::Engine as _;
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("$base64", &base64::engine::general_purpose::STANDARD.encode(b))?;
                m.end()
            }
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// 2^63: no integer `serde_json` could not hold as i64 or u64 is smaller in magnitude.
const BEYOND_I64: f64 = 9_223_372_036_854_775_808.0;

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or_else(|_| Value::Number(v.to_string()), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json hands an integer beyond i64/u64 over as an f64 (its digits lost): as large
        // as that, it may be one, and `Value::parse_json` reads the text again exactly.
        if v.abs() >= BEYOND_I64 {
            super::value_json::note_inexact();
        }
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Deserialize::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::List(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Map(out))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_key_order_and_types() {
        let text = r#"{"z":1,"a":"x","m":[true,null,2.5],"o":{"k":"v"}}"#;
        let v: Value = serde_json::from_str(text).expect("parses");
        assert_eq!(serde_json::to_string(&v).expect("serializes"), text);
    }

    #[test]
    fn bytes_serialize_losslessly_as_base64() {
        let v = Value::Bytes(vec![0, 255, 7]);
        assert_eq!(serde_json::to_string(&v).expect("serializes"), r#"{"$base64":"AP8H"}"#);
    }

    #[test]
    fn ids_read_as_text_whatever_their_type() {
        assert_eq!(Value::Int(42).to_text().as_deref(), Some("42"));
        assert_eq!(Value::Str("42".into()).to_i64(), Some(42));
        assert_eq!(Value::Float(2.0).to_i64(), Some(2));
        assert_eq!(Value::Float(2.5).to_i64(), None);
    }
}
