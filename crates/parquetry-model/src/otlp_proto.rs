//! The parts of OTLP's protobuf encoding that every signal shares: resources, scopes,
//! attributes and their values, declared with prost from the published
//! `opentelemetry.proto.common.v1` and `opentelemetry.proto.resource.v1` messages; and
//! their conversion to the OTLP/JSON shapes of [`crate::otlp`], so that a protobuf
//! message maps to labels and text exactly as its JSON twin does.

use crate::otlp;
use base64::Engine as _;
use prost::Message;
use serde_json::{Value, json};

/// `opentelemetry.proto.resource.v1.Resource`.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceProto {
    /// Its attributes.
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "2")]
    pub dropped_attributes_count: u32,
}

/// `opentelemetry.proto.common.v1.InstrumentationScope`.
#[derive(Clone, PartialEq, Message)]
pub struct InstrumentationScope {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its version.
    #[prost(string, tag = "2")]
    pub version: String,
    /// Its attributes.
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `opentelemetry.proto.common.v1.KeyValue`.
#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    /// The key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// The value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValueProto>,
}

/// `opentelemetry.proto.common.v1.AnyValue`.
#[derive(Clone, PartialEq, Message)]
pub struct AnyValueProto {
    /// The value, of one kind.
    #[prost(oneof = "Kind", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<Kind>,
}

/// The kinds of an `AnyValue`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    /// A string.
    #[prost(string, tag = "1")]
    String(String),
    /// A boolean.
    #[prost(bool, tag = "2")]
    Bool(bool),
    /// An integer.
    #[prost(int64, tag = "3")]
    Int(i64),
    /// A double.
    #[prost(double, tag = "4")]
    Double(f64),
    /// An array.
    #[prost(message, tag = "5")]
    Array(ArrayValue),
    /// Key-value pairs.
    #[prost(message, tag = "6")]
    KvList(KeyValueList),
    /// Bytes.
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

/// `ArrayValue`.
#[derive(Clone, PartialEq, Message)]
pub struct ArrayValue {
    /// The items.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<AnyValueProto>,
}

/// `KeyValueList`.
#[derive(Clone, PartialEq, Message)]
pub struct KeyValueList {
    /// The pairs.
    #[prost(message, repeated, tag = "1")]
    pub values: Vec<KeyValue>,
}

/// An AnyValue in OTLP/JSON's shape (`{"stringValue": …}`, 64-bit integers as
/// strings, bytes as base64); an unset value is JSON `null`.
pub fn any_value_json(v: AnyValueProto) -> Value {
    let Some(kind) = v.value else {
        return Value::Null;
    };
    match kind {
        Kind::String(s) => json!({ "stringValue": s }),
        Kind::Bool(b) => json!({ "boolValue": b }),
        Kind::Int(n) => json!({ "intValue": n.to_string() }),
        Kind::Double(d) => json!({ "doubleValue": d }),
        Kind::Bytes(b) => json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(b) }),
        Kind::Array(a) => {
            let values: Vec<Value> = a.values.into_iter().map(any_value_json).collect();
            json!({ "arrayValue": { "values": values } })
        }
        Kind::KvList(l) => {
            let values: Vec<Value> = l
                .values
                .into_iter()
                .map(|kv| json!({ "key": kv.key, "value": kv.value.map_or(Value::Null, any_value_json) }))
                .collect();
            json!({ "kvlistValue": { "values": values } })
        }
    }
}

/// Attributes as OTLP/JSON key-value pairs.
pub fn key_values_json(kvs: Vec<KeyValue>) -> Vec<otlp::KeyValue> {
    kvs.into_iter()
        .map(|kv| otlp::KeyValue {
            key: kv.key,
            value: kv.value.map(any_value_json).filter(|v| !v.is_null()),
        })
        .collect()
}

/// A resource as its OTLP/JSON twin.
pub fn resource_json(r: ResourceProto) -> otlp::Resource {
    otlp::Resource {
        attributes: key_values_json(r.attributes),
        dropped_attributes_count: Some(Value::from(r.dropped_attributes_count)),
    }
}

/// A scope as its OTLP/JSON twin.
pub fn scope_json(s: InstrumentationScope) -> otlp::Scope {
    otlp::Scope {
        name: s.name,
        version: s.version,
        attributes: key_values_json(s.attributes),
        dropped_attributes_count: Some(Value::from(s.dropped_attributes_count)),
    }
}

/// Lowercase hex of an id's bytes (OTLP/JSON writes trace and span ids so); empty for
/// no bytes.
pub fn hex_id(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_to_the_json_encoding_and_print_the_same() {
        let nested = AnyValueProto {
            value: Some(Kind::KvList(KeyValueList {
                values: vec![KeyValue {
                    key: "n".into(),
                    value: Some(AnyValueProto {
                        value: Some(Kind::Int(-3)),
                    }),
                }],
            })),
        };
        let array = AnyValueProto {
            value: Some(Kind::Array(ArrayValue {
                values: vec![
                    nested,
                    AnyValueProto {
                        value: Some(Kind::Bytes(vec![1, 2])),
                    },
                ],
            })),
        };
        let json = any_value_json(array);
        assert_eq!(otlp::any_value_text(&json), r#"[{"n":-3},"AQI="]"#);
        let text = any_value_json(AnyValueProto {
            value: Some(Kind::Double(1.5)),
        });
        assert_eq!(otlp::any_value_text(&text), "1.5");
        assert_eq!(hex_id(&[0, 0xab]), "00ab");
    }

    #[test]
    fn messages_round_trip_through_prost() {
        let r = ResourceProto {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: Some(AnyValueProto {
                    value: Some(Kind::String("api".into())),
                }),
            }],
            dropped_attributes_count: 2,
        };
        let back = ResourceProto::decode(r.encode_to_vec().as_slice()).unwrap();
        assert_eq!(back, r);
        let (labels, _) = otlp::key_value_labels(&resource_json(back).attributes);
        assert_eq!(labels.get("service_name"), Some("api"));
    }
}
