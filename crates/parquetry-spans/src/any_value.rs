//! Attribute values as OTLP types them (`AnyValue`), read from and written to OTLP/JSON.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value};

/// A typed attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyValue {
    /// No value (an AnyValue with nothing set).
    Empty,
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// Raw bytes (base64 in JSON).
    Bytes(Vec<u8>),
    /// An array of values.
    Array(Vec<AnyValue>),
    /// A list of key-value pairs.
    KvList(Vec<Attribute>),
}

/// A named attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Its name.
    pub key: String,
    /// Its value.
    pub value: AnyValue,
}

impl Attribute {
    /// An attribute named `key` with `value`.
    pub fn new(key: impl Into<String>, value: AnyValue) -> Attribute {
        Attribute {
            key: key.into(),
            value,
        }
    }
}

impl AnyValue {
    /// Reads OTLP/JSON's AnyValue (`{"stringValue": "x"}`, `{"intValue": "3"}`, …);
    /// integers may be strings or numbers, doubles numbers or the strings `NaN`,
    /// `Infinity` and `-Infinity`, bytes base64.
    pub fn from_json(v: &Value) -> Result<AnyValue, String> {
        let Value::Object(map) = v else {
            return Err(format!("{v} is not an AnyValue object"));
        };
        let Some((kind, inner)) = map.iter().next() else {
            return Ok(AnyValue::Empty);
        };
        Ok(match (kind.as_str(), inner) {
            ("stringValue", Value::String(s)) => AnyValue::String(s.clone()),
            ("boolValue", Value::Bool(b)) => AnyValue::Bool(*b),
            ("intValue", Value::Number(n)) => AnyValue::Int(
                n.as_i64()
                    .ok_or_else(|| format!("intValue {n} is not a 64-bit integer"))?,
            ),
            ("intValue", Value::String(s)) => AnyValue::Int(
                s.parse()
                    .map_err(|_| format!("intValue {s:?} is not a 64-bit integer"))?,
            ),
            ("doubleValue", Value::Number(n)) => AnyValue::Double(n.as_f64().unwrap_or(f64::NAN)),
            ("doubleValue", Value::String(s)) => AnyValue::Double(match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                other => other
                    .parse()
                    .map_err(|_| format!("doubleValue {other:?} is not a number"))?,
            }),
            ("bytesValue", Value::String(s)) => AnyValue::Bytes(
                BASE64
                    .decode(s)
                    .map_err(|_| format!("bytesValue {s:?} is not base64"))?,
            ),
            ("arrayValue", inner) => AnyValue::Array(
                list(inner)?
                    .iter()
                    .map(AnyValue::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            ("kvlistValue", inner) => AnyValue::KvList(attributes_from_json(list(inner)?)?),
            (kind, other) => return Err(format!("{kind} {other} is not a valid AnyValue")),
        })
    }

    /// The value as OTLP/JSON (integers as strings, as the protocol's JSON mapping
    /// writes 64-bit numbers).
    pub fn to_json(&self) -> Value {
        let (kind, inner) = match self {
            AnyValue::Empty => return Value::Object(Map::new()),
            AnyValue::String(s) => ("stringValue", Value::from(s.as_str())),
            AnyValue::Bool(b) => ("boolValue", Value::from(*b)),
            AnyValue::Int(i) => ("intValue", Value::from(i.to_string())),
            AnyValue::Double(d) => ("doubleValue", double_json(*d)),
            AnyValue::Bytes(b) => ("bytesValue", Value::from(BASE64.encode(b))),
            AnyValue::Array(values) => (
                "arrayValue",
                serde_json::json!({ "values": values.iter().map(AnyValue::to_json).collect::<Vec<_>>() }),
            ),
            AnyValue::KvList(kvs) => (
                "kvlistValue",
                serde_json::json!({ "values": attributes_to_json(kvs) }),
            ),
        };
        let mut map = Map::new();
        map.insert(kind.to_string(), inner);
        Value::Object(map)
    }

    /// The value as text: strings as they are, numbers and booleans printed, bytes in
    /// base64, arrays and key-value lists as plain JSON.
    pub fn to_text(&self) -> String {
        match self {
            AnyValue::String(s) => s.clone(),
            AnyValue::Bytes(b) => BASE64.encode(b),
            other => match other.to_plain_json() {
                Value::String(s) => s,
                v => v.to_string(),
            },
        }
    }

    /// The value as plain JSON (arrays as arrays, key-value lists as objects).
    pub fn to_plain_json(&self) -> Value {
        match self {
            AnyValue::Empty => Value::Null,
            AnyValue::String(s) => Value::from(s.as_str()),
            AnyValue::Bool(b) => Value::from(*b),
            AnyValue::Int(i) => Value::from(*i),
            AnyValue::Double(d) => double_json(*d),
            AnyValue::Bytes(b) => Value::from(BASE64.encode(b)),
            AnyValue::Array(values) => Value::Array(values.iter().map(AnyValue::to_plain_json).collect()),
            AnyValue::KvList(kvs) => Value::Object(
                kvs.iter()
                    .map(|a| (a.key.clone(), a.value.to_plain_json()))
                    .collect(),
            ),
        }
    }
}

/// A double as JSON: a number when finite, else the string protobuf's JSON uses.
fn double_json(d: f64) -> Value {
    if d.is_nan() {
        Value::from("NaN")
    } else if d.is_infinite() {
        Value::from(if d > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        Value::from(d)
    }
}

/// The `values` array of an `arrayValue` or `kvlistValue` (absent means empty).
fn list(inner: &Value) -> Result<&[Value], String> {
    match inner.get("values") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(other) => Err(format!("values {other} is not an array")),
    }
}

/// Reads an OTLP/JSON list of `{"key": …, "value": {…}}` pairs.
pub fn attributes_from_json(list: &[Value]) -> Result<Vec<Attribute>, String> {
    list.iter()
        .map(|kv| {
            let key = kv
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("attribute {kv} has no key"))?;
            let value = match kv.get("value") {
                None | Some(Value::Null) => AnyValue::Empty,
                Some(v) => AnyValue::from_json(v).map_err(|e| format!("attribute {key:?}: {e}"))?,
            };
            Ok(Attribute::new(key, value))
        })
        .collect()
}

/// Writes attributes as an OTLP/JSON list of key-value pairs.
pub fn attributes_to_json(attributes: &[Attribute]) -> Vec<Value> {
    attributes
        .iter()
        .map(|a| serde_json::json!({ "key": a.key, "value": a.value.to_json() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(json: &str) -> AnyValue {
        let v: Value = serde_json::from_str(json).unwrap();
        let parsed = AnyValue::from_json(&v).unwrap();
        assert_eq!(AnyValue::from_json(&parsed.to_json()).unwrap(), parsed, "{json}");
        parsed
    }

    #[test]
    fn every_kind_reads_and_writes_back() {
        assert_eq!(round_trip(r#"{"stringValue":"a"}"#), AnyValue::String("a".into()));
        assert_eq!(round_trip(r#"{"intValue":"-3"}"#), AnyValue::Int(-3));
        assert_eq!(round_trip(r#"{"intValue":7}"#), AnyValue::Int(7));
        assert_eq!(round_trip(r#"{"doubleValue":1.5}"#), AnyValue::Double(1.5));
        assert_eq!(round_trip(r#"{"boolValue":false}"#), AnyValue::Bool(false));
        assert_eq!(
            round_trip(r#"{"bytesValue":"AQI="}"#),
            AnyValue::Bytes(vec![1, 2])
        );
        assert_eq!(round_trip("{}"), AnyValue::Empty);
        let nested = round_trip(
            r#"{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}}"#,
        );
        assert_eq!(nested.to_text(), r#"{"a":[1]}"#);
        let inf = round_trip(r#"{"doubleValue":"-Infinity"}"#);
        assert_eq!(inf, AnyValue::Double(f64::NEG_INFINITY));
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let bad = |j: &str| AnyValue::from_json(&serde_json::from_str(j).unwrap()).unwrap_err();
        assert!(bad(r#"{"intValue":"x"}"#).contains("not a 64-bit integer"));
        assert!(bad(r#"{"bytesValue":"***"}"#).contains("not base64"));
        assert!(bad(r#"{"boolValue":"yes"}"#).contains("not a valid AnyValue"));
    }
}
