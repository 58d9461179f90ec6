//! Loki push API bodies in JSON:
//! `{"streams":[{"stream":{labels},"values":[["<ns>","<line>",{metadata}?],…]}]}`.

use serde::Deserialize;
use serde::de::{self, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// One push body.
#[derive(Debug, Deserialize)]
pub struct PushBody {
    /// Its streams.
    pub streams: Vec<PushStream>,
}

/// One stream of a push body.
#[derive(Debug, Deserialize)]
pub struct PushStream {
    /// The stream's labels.
    pub stream: BTreeMap<String, String>,
    /// Its entries.
    #[serde(default)]
    pub values: Vec<PushValue>,
}

/// One entry: time (nanoseconds, as a string), line, and optional structured metadata.
#[derive(Debug)]
pub struct PushValue {
    /// The time as the body gave it.
    pub timestamp: String,
    /// The line.
    pub line: String,
    /// Structured metadata, in the body's order.
    pub metadata: Vec<(String, String)>,
}

impl<'de> Deserialize<'de> for PushValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(PushValueVisitor)
    }
}

struct PushValueVisitor;

impl<'de> Visitor<'de> for PushValueVisitor {
    type Value = PushValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"an entry ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {metadata}]"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PushValue, A::Error> {
        let timestamp: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let line: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let metadata: Option<OrderedPairs> = seq.next_element()?;
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(4, &self));
        }
        Ok(PushValue {
            timestamp,
            line,
            metadata: metadata.map(|m| m.0).unwrap_or_default(),
        })
    }
}

/// A JSON object of string values, read as pairs in the object's order.
#[derive(Debug, Default)]
pub struct OrderedPairs(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for OrderedPairs {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedPairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of string values")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<OrderedPairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(OrderedPairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_entries_with_and_without_metadata() {
        let body: PushBody = serde_json::from_str(
            r#"{"streams":[{"stream":{"app":"x"},"values":[["1","a"],["2","b",{"trace_id":"t","z":"1"}]]}]}"#,
        )
        .unwrap();
        let v = &body.streams[0].values;
        assert_eq!((v[0].timestamp.as_str(), v[0].line.as_str()), ("1", "a"));
        assert_eq!(
            v[1].metadata,
            [
                ("trace_id".to_string(), "t".to_string()),
                ("z".to_string(), "1".to_string())
            ]
        );
    }

    #[test]
    fn malformed_entries_are_refused_with_a_position() {
        let err =
            serde_json::from_str::<PushBody>(r#"{"streams":[{"stream":{},"values":[["1"]]}]}"#).unwrap_err();
        assert!(err.to_string().contains("invalid length"), "{err}");
        let err = serde_json::from_str::<PushBody>(r#"{"streams":[{"stream":{"a":1}}]}"#).unwrap_err();
        assert_eq!(err.column(), 28, "{err}");
    }
}
