//! The parts of OTLP/JSON (the OpenTelemetry protocol's JSON encoding, as the Collector's
//! file exporter writes it) that every signal shares: resources, scopes, attributes and
//! their values, 64-bit numbers written as strings or numbers, and how resource
//! attributes become labels (as Loki's OTLP endpoint maps them).

use crate::Labels;
use serde::Deserialize;
use serde_json::Value;

/// Resource attributes that become stream labels, as in Loki's default configuration.
pub const LABEL_ATTRIBUTES: [&str; 18] = [
    "cloud.availability_zone",
    "cloud.region",
    "container.name",
    "deployment.environment",
    "deployment.environment.name",
    "k8s.cluster.name",
    "k8s.container.name",
    "k8s.cronjob.name",
    "k8s.daemonset.name",
    "k8s.deployment.name",
    "k8s.job.name",
    "k8s.namespace.name",
    "k8s.pod.name",
    "k8s.replicaset.name",
    "k8s.statefulset.name",
    "service.instance.id",
    "service.name",
    "service.namespace",
];

/// A resource: its attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Resource {
    /// The attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: Option<Value>,
}

/// An instrumentation scope.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Scope {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its attributes.
    pub attributes: Vec<KeyValue>,
    /// Attributes the sender dropped.
    pub dropped_attributes_count: Option<Value>,
}

/// An attribute.
#[derive(Debug, Default, Deserialize)]
pub struct KeyValue {
    /// Its name.
    pub key: String,
    /// Its AnyValue.
    #[serde(default)]
    pub value: Option<Value>,
}

/// An attribute name as a label name: every character outside `[A-Za-z0-9_]` becomes
/// `_`, and a leading digit gets a `_` before it.
pub fn label_name(key: &str) -> String {
    let mut out = label_chars(key);
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `key` with every character outside `[A-Za-z0-9_]` made `_`.
pub fn label_chars(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// An AnyValue as text: strings as they are, numbers and booleans printed, bytes as
/// their base64, arrays and key-value lists as JSON.
pub fn any_value_text(v: &Value) -> String {
    let Value::Object(map) = v else {
        return match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    };
    match map.iter().next() {
        Some((kind, inner)) => match (kind.as_str(), inner) {
            ("stringValue" | "bytesValue", Value::String(s)) => s.clone(),
            ("intValue", Value::String(s)) => s.clone(),
            ("intValue" | "doubleValue" | "boolValue", other) => other.to_string(),
            ("arrayValue" | "kvlistValue", _) => any_value_json(v).to_string(),
            (_, other) => other.to_string(),
        },
        None => String::new(),
    }
}

/// An AnyValue as plain JSON (arrays as arrays, key-value lists as objects).
pub fn any_value_json(v: &Value) -> Value {
    let Value::Object(map) = v else { return v.clone() };
    match map.iter().next().map(|(k, inner)| (k.as_str(), inner)) {
        Some(("arrayValue", inner)) => Value::Array(
            inner
                .get("values")
                .and_then(Value::as_array)
                .map(|vs| vs.iter().map(any_value_json).collect())
                .unwrap_or_default(),
        ),
        Some(("kvlistValue", inner)) => Value::Object(
            inner
                .get("values")
                .and_then(Value::as_array)
                .map(|kvs| {
                    kvs.iter()
                        .filter_map(|kv| {
                            let key = kv.get("key")?.as_str()?.to_string();
                            Some((key, kv.get("value").map(any_value_json).unwrap_or(Value::Null)))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        Some(("stringValue", s)) => s.clone(),
        Some(("intValue", Value::String(s))) => s
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::String(s.clone())),
        Some((_, other)) => other.clone(),
        None => Value::Null,
    }
}

/// A 64-bit OTLP number given as a string or a number; 0 when absent or unreadable.
pub fn u64_of(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("{n} is not an unsigned 64-bit integer")),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| format!("{s:?} is not an unsigned 64-bit integer")),
        Some(other) => Err(format!("{other} is not an unsigned 64-bit integer")),
    }
}

/// The labels of a resource from its attributes as `(key, text)` pairs: its
/// [`LABEL_ATTRIBUTES`] under their label names, with `service_name="unknown_service"`
/// when it names no service; and its other attributes as `(label name, text)` pairs, in
/// the order given.
pub fn resource_labels<'a>(
    attributes: impl IntoIterator<Item = (&'a str, String)>,
) -> (Labels, Vec<(String, String)>) {
    let mut labels = Vec::new();
    let mut rest = Vec::new();
    for (key, value) in attributes {
        if LABEL_ATTRIBUTES.contains(&key) {
            labels.push((label_name(key), value));
        } else {
            rest.push((label_name(key), value));
        }
    }
    if !labels.iter().any(|(n, v)| n == "service_name" && !v.is_empty()) {
        labels.push(("service_name".to_string(), "unknown_service".to_string()));
    }
    (Labels::from_pairs(labels), rest)
}

/// [`resource_labels`] of OTLP/JSON key-value pairs, values as [`any_value_text`].
pub fn key_value_labels(attributes: &[KeyValue]) -> (Labels, Vec<(String, String)>) {
    resource_labels(attributes.iter().map(|kv| {
        (
            kv.key.as_str(),
            kv.value.as_ref().map(any_value_text).unwrap_or_default(),
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_as_strings_or_numbers() {
        assert_eq!(u64_of(Some(&Value::from("42"))), Ok(42));
        assert_eq!(u64_of(Some(&Value::from(42u64))), Ok(42));
        assert_eq!(u64_of(None), Ok(0));
        assert!(u64_of(Some(&Value::from("-1"))).unwrap_err().contains("unsigned"));
    }

    #[test]
    fn resources_map_to_labels_as_for_logs() {
        let attrs: Vec<KeyValue> = serde_json::from_str(
            r#"[{"key":"service.name","value":{"stringValue":"api"}},{"key":"host.name","value":{"stringValue":"n1"}}]"#,
        )
        .unwrap();
        let (labels, rest) = key_value_labels(&attrs);
        assert_eq!(labels, Labels::from_pairs([("service_name", "api")]));
        assert_eq!(rest, [("host_name".to_string(), "n1".to_string())]);
        let (labels, _) = key_value_labels(&[]);
        assert_eq!(labels.get("service_name"), Some("unknown_service"));
        assert_eq!(label_name("1.x-y"), "_1_x_y");
    }

    #[test]
    fn values_as_text() {
        let v: Value =
            serde_json::from_str(r#"{"arrayValue":{"values":[{"intValue":"1"},{"stringValue":"a"}]}}"#)
                .unwrap();
        assert_eq!(any_value_text(&v), r#"[1,"a"]"#);
        assert_eq!(any_value_text(&serde_json::json!({"boolValue": true})), "true");
    }
}
