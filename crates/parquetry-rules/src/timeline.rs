//! Alert timelines as a table, and a summary per alert.

use crate::alerting::AlertEpisode;
use arrow_array::builder::{Float64Builder, StringBuilder, TimestampMillisecondBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The schema of [`episodes_table`]: one row per alert episode.
pub fn episodes_schema() -> Arc<Schema> {
    let ts = || DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    Arc::new(Schema::new(vec![
        Field::new("alertname", DataType::Utf8, false),
        Field::new("labels", DataType::Utf8, false),
        Field::new("active_at", ts(), false),
        Field::new("fired_at", ts(), true),
        Field::new("resolved_at", ts(), true),
        Field::new("value", DataType::Float64, false),
        Field::new("annotations", DataType::Utf8, false),
    ]))
}

/// The episodes as an Arrow table: labels in Prometheus notation, annotations as a JSON
/// object, times as UTC timestamps (null `fired_at`: never fired; null `resolved_at`:
/// still active at the end).
pub fn episodes_table(episodes: &[AlertEpisode]) -> RecordBatch {
    let mut name = StringBuilder::new();
    let mut labels = StringBuilder::new();
    let mut active = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut fired = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut resolved = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut value = Float64Builder::new();
    let mut annotations = StringBuilder::new();
    for e in episodes {
        name.append_value(&e.alertname);
        labels.append_value(e.labels.to_string());
        active.append_value(e.active_at);
        fired.append_option(e.fired_at);
        resolved.append_option(e.resolved_at);
        value.append_value(e.value);
        let map: BTreeMap<&str, &str> = e
            .annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        annotations.append_value(serde_json::to_string(&map).unwrap_or_default());
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(name.finish()),
        Arc::new(labels.finish()),
        Arc::new(active.finish()),
        Arc::new(fired.finish()),
        Arc::new(resolved.finish()),
        Arc::new(value.finish()),
        Arc::new(annotations.finish()),
    ];
    RecordBatch::try_new(episodes_schema(), columns).expect("columns match the schema")
}

/// How often and how long one alert fired over a backtest.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertSummary {
    /// The alert's name.
    pub alertname: String,
    /// Episodes that reached firing.
    pub times_fired: usize,
    /// Episodes that stayed pending and never fired.
    pub pending_only: usize,
    /// Sum of firing time over all episodes, ms (an episode still firing counts to the end).
    pub total_firing_ms: i64,
    /// The longest single firing, ms.
    pub longest_firing_ms: i64,
    /// When it first fired, ms.
    pub first_fired: Option<i64>,
    /// When it last started firing, ms.
    pub last_fired: Option<i64>,
}

/// Summarises episodes per alert name, in name order; `end_ms` closes unresolved ones.
pub fn summarize(episodes: &[AlertEpisode], end_ms: i64) -> Vec<AlertSummary> {
    let mut by_name: BTreeMap<&str, AlertSummary> = BTreeMap::new();
    for e in episodes {
        let s = by_name.entry(&e.alertname).or_insert_with(|| AlertSummary {
            alertname: e.alertname.clone(),
            times_fired: 0,
            pending_only: 0,
            total_firing_ms: 0,
            longest_firing_ms: 0,
            first_fired: None,
            last_fired: None,
        });
        let Some(fired) = e.fired_at else {
            s.pending_only += 1;
            continue;
        };
        let length = e.resolved_at.unwrap_or(end_ms) - fired;
        s.times_fired += 1;
        s.total_firing_ms += length;
        s.longest_firing_ms = s.longest_firing_ms.max(length);
        s.first_fired = Some(s.first_fired.map_or(fired, |f| f.min(fired)));
        s.last_fired = Some(s.last_fired.map_or(fired, |f| f.max(fired)));
    }
    by_name.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_model::Labels;

    fn episode(name: &str, active: i64, fired: Option<i64>, resolved: Option<i64>) -> AlertEpisode {
        AlertEpisode {
            alertname: name.into(),
            labels: Labels::from_pairs([("alertname", name)]),
            active_at: active,
            fired_at: fired,
            resolved_at: resolved,
            value: 1.0,
            annotations: vec![("summary".into(), "s".into())],
        }
    }

    #[test]
    fn summaries_and_table() {
        let eps = [
            episode("A", 0, Some(10), Some(40)),
            episode("A", 50, None, Some(60)),
            episode("A", 70, Some(80), None),
            episode("B", 0, Some(0), Some(5)),
        ];
        let s = summarize(&eps, 100);
        assert_eq!(
            (
                s[0].times_fired,
                s[0].pending_only,
                s[0].total_firing_ms,
                s[0].longest_firing_ms
            ),
            (2, 1, 50, 30)
        );
        assert_eq!((s[0].first_fired, s[0].last_fired), (Some(10), Some(80)));
        assert_eq!(s[1].total_firing_ms, 5);
        let t = episodes_table(&eps);
        assert_eq!((t.num_rows(), t.num_columns()), (4, 7));
        assert_eq!(t.column(3).null_count(), 1);
    }
}
