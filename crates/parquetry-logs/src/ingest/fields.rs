//! Which fields of a structured line (JSON or logfmt) carry the entry's time, trace id,
//! span id and severity, and reading them.

use super::timestamp;
use crate::entry::LogEntry;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;

/// The field names looked up in a structured line, first match wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNames {
    /// Fields holding the entry's time (epoch or RFC 3339).
    pub timestamp: Vec<String>,
    /// Fields holding the trace id.
    pub trace_id: Vec<String>,
    /// Fields holding the span id.
    pub span_id: Vec<String>,
    /// Fields holding the severity.
    pub severity: Vec<String>,
}

impl Default for FieldNames {
    fn default() -> Self {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        FieldNames {
            timestamp: names(&["time", "ts", "timestamp"]),
            trace_id: names(&["traceId", "trace_id"]),
            span_id: names(&["spanId", "span_id"]),
            severity: names(&["level", "severity", "lvl"]),
        }
    }
}

/// A structured line's top-level fields as text, the way a lookup needs them.
pub trait Fields {
    /// The value of field `name` as text, if the line has it as a scalar.
    fn text(&self, name: &str) -> Option<String>;
}

/// The top-level fields of a JSON object line whose values are strings, numbers or
/// booleans, as text (numbers as `serde_json` prints them), read without building the
/// object: strings without escapes stay borrowed from the line.
#[derive(Debug, Default)]
pub struct JsonFields<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> JsonFields<'a> {
    /// Reads `line`, which must be exactly one JSON object.
    pub fn parse(line: &'a str) -> Result<JsonFields<'a>, serde_json::Error> {
        serde_json::from_str(line)
    }
}

impl Fields for JsonFields<'_> {
    fn text(&self, name: &str) -> Option<String> {
        // A repeated key means its last value, as for a JSON object read whole.
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_string())
    }
}

impl<'de> Deserialize<'de> for JsonFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = JsonFields<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::new();
        while let Some(Text(key)) = map.next_key()? {
            if let Scalar(Some(value)) = map.next_value()? {
                fields.push((key, value));
            }
        }
        Ok(JsonFields(fields))
    }
}

/// A JSON string, borrowed when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(ScalarVisitor)
            .map(|s| Text(s.unwrap_or_default()))
    }
}

/// A JSON value as text when it is a string, number or boolean; `None` for null,
/// objects and arrays (which are read past).
struct Scalar<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor).map(Scalar)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(serde_json::Number::from(v).to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map(|n| Cow::Owned(n.to_string())))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

impl Fields for Vec<(String, String)> {
    fn text(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }
}

impl Fields for Vec<(&str, Cow<'_, str>)> {
    fn text(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

impl FieldNames {
    /// The time the line's fields carry, in nanoseconds: `Ok(None)` when it has none of
    /// the timestamp fields, an error when the one it has is unreadable.
    pub fn timestamp_of(&self, fields: &dyn Fields) -> Result<Option<i64>, String> {
        match self.timestamp.iter().find_map(|n| fields.text(n).map(|v| (n, v))) {
            None => Ok(None),
            Some((name, value)) => timestamp::from_text(&value)
                .map(Some)
                .map_err(|e| format!("field {name:?}: {e}")),
        }
    }

    /// Fills the entry's trace id, span id and severity from the fields where they are
    /// still unknown.
    pub fn fill_context(&self, fields: &dyn Fields, entry: &mut LogEntry) {
        let first = |names: &[String]| {
            names
                .iter()
                .find_map(|n| fields.text(n))
                .filter(|v| !v.is_empty())
        };
        if entry.trace_id.is_none() {
            entry.trace_id = first(&self.trace_id);
        }
        if entry.span_id.is_none() {
            entry.span_id = first(&self.span_id);
        }
        if entry.severity.is_none() {
            entry.severity = first(&self.severity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_the_top_level_scalars_as_text() {
        let line = r#"{"msg":"a \"quoted\" word","time":1767571200123,"ratio":0.5,"neg":-3,"ok":true,"none":null,"err":{"traceId":"inner"},"tags":[1,{"x":2}],"traceId":"abc","traceId":"def"}"#;
        let f = JsonFields::parse(line).unwrap();
        assert_eq!(f.text("msg").as_deref(), Some(r#"a "quoted" word"#));
        assert_eq!(f.text("time").as_deref(), Some("1767571200123"));
        assert_eq!(f.text("ratio").as_deref(), Some("0.5"));
        assert_eq!(f.text("neg").as_deref(), Some("-3"));
        assert_eq!(f.text("ok").as_deref(), Some("true"));
        for absent in ["none", "err", "tags", "x"] {
            assert_eq!(f.text(absent), None, "{absent}");
        }
        assert_eq!(f.text("traceId").as_deref(), Some("def"));
    }

    #[test]
    fn only_one_json_object_is_read() {
        for bad in [r#"[1,2]"#, r#"{"a":1} x"#, r#"{"a":"#, "\"text\""] {
            assert!(JsonFields::parse(bad).is_err(), "{bad}");
        }
    }
}
