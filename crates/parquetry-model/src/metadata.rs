//! What a metric family declares about itself: its type, help text and unit, as the
//! OpenMetrics `# TYPE`, `# HELP` and `# UNIT` lines and remote write's metadata carry
//! them, and as Prometheus' `/api/v1/metadata` answers them.

use serde::{Deserialize, Serialize};

/// The type of a metric family, with Prometheus' names for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    /// Declared without a type, or `untyped` in the Prometheus text format.
    #[default]
    Unknown,
    /// A monotonic counter.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// A histogram of observations (cumulative buckets, sum and count).
    Histogram,
    /// A histogram of values that go up and down.
    GaugeHistogram,
    /// Quantiles of observations, with sum and count.
    Summary,
    /// Information about the target, value 1.
    Info,
    /// A set of boolean states.
    StateSet,
}

impl MetricType {
    /// Every type, in the order of remote write's `MetricType` enumeration (its number is
    /// the index).
    pub const ALL: [MetricType; 8] = [
        MetricType::Unknown,
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Histogram,
        MetricType::GaugeHistogram,
        MetricType::Summary,
        MetricType::Info,
        MetricType::StateSet,
    ];

    /// The lower-case name Prometheus' API and OpenMetrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Unknown => "unknown",
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
        }
    }

    /// The type named `name` in a `# TYPE` line (`untyped` is `unknown`), or `None`.
    pub fn from_name(name: &str) -> Option<MetricType> {
        if name == "untyped" {
            return Some(MetricType::Unknown);
        }
        MetricType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// What one metric family declares: type, help and unit (empty when not declared).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MetricMetadata {
    /// The family's name as declared (`http_requests` for an OpenMetrics counter whose
    /// samples are `http_requests_total`).
    pub metric: String,
    /// Its type.
    #[serde(rename = "type", default)]
    pub kind: MetricType,
    /// Its help text, unescaped.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Its unit (`seconds`, `bytes`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
}

/// The entries of `new` that neither `known` nor an earlier entry of `new` holds, in
/// their order.
pub fn new_entries(known: &[MetricMetadata], new: Vec<MetricMetadata>) -> Vec<MetricMetadata> {
    if new.is_empty() {
        return new;
    }
    let mut seen: std::collections::HashSet<&MetricMetadata> = known.iter().collect();
    let mut fresh = Vec::new();
    for m in &new {
        if seen.insert(m) {
            fresh.push(m.clone());
        }
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_untyped_is_unknown() {
        for t in MetricType::ALL {
            assert_eq!(MetricType::from_name(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
        }
        assert_eq!(MetricType::from_name("untyped"), Some(MetricType::Unknown));
        assert_eq!(MetricType::from_name("banana"), None);
    }

    #[test]
    fn entries_serialize_compactly_and_deduplicate() {
        let m = MetricMetadata {
            metric: "up".into(),
            kind: MetricType::Gauge,
            help: String::new(),
            unit: String::new(),
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"metric":"up","type":"gauge"}"#
        );
        let back: MetricMetadata = serde_json::from_str(r#"{"metric":"up","type":"gauge"}"#).unwrap();
        assert_eq!(back, m);
        let other = MetricMetadata {
            help: "Up.".into(),
            ..m.clone()
        };
        let fresh = new_entries(
            std::slice::from_ref(&m),
            vec![m.clone(), other.clone(), other.clone()],
        );
        assert_eq!(fresh, vec![other]);
    }
}
