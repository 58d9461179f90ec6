//! Answers as the body of Loki's HTTP API response:
//! `{"status":"success","data":{"resultType":…,"result":…,"stats":{…}}}`. Stream lines
//! are `["<nanoseconds>","<line>"]`, with a third element `{"structuredMetadata":{…},
//! "parsed":{…}}` (each only when not empty) and `"encodingFlags":["categorize-labels"]`
//! in `data` for a categorized answer; metric points `[<seconds>,"<value>"]` as
//! Prometheus writes them.

use super::labels::{EntryLabels, LabelSet};
use super::log_query::LogStream;
use super::metric::{MetricResult, MetricSeries};
use super::query::{Answer, QueryOutput, QueryStats};
use parquetry_promql::eval::api_json::{write_json_string, write_label_object, write_point};
use std::fmt::Write;

fn labels_object(out: &mut String, labels: &LabelSet) {
    write_label_object(out, labels.0.iter().map(|(n, v)| (n.as_str(), v.as_str())));
}

/// Nanoseconds to the milliseconds metric points carry.
fn ms(ns: i64) -> i64 {
    ns.div_euclid(1_000_000)
}

fn streams(out: &mut String, streams: &[LogStream]) {
    out.push_str("\"streams\",\"result\":[");
    for (i, s) in streams.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"stream\":");
        labels_object(out, &s.labels);
        out.push_str(",\"values\":[");
        for (j, (t, line)) in s.entries.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "[\"{t}\",");
            write_json_string(out, line);
            if let Some(labels) = s.entry_labels.get(j) {
                out.push(',');
                entry_labels(out, labels);
            }
            out.push(']');
        }
        out.push_str("]}");
    }
    out.push(']');
}

/// One line's own labels: `{"structuredMetadata":{…},"parsed":{…}}`, each only when
/// not empty.
fn entry_labels(out: &mut String, labels: &EntryLabels) {
    out.push('{');
    let parts = [
        ("structuredMetadata", &labels.metadata),
        ("parsed", &labels.parsed),
    ];
    let mut first = true;
    for (name, set) in parts.into_iter().filter(|(_, set)| !set.0.is_empty()) {
        if !first {
            out.push(',');
        }
        first = false;
        let _ = write!(out, "\"{name}\":");
        labels_object(out, set);
    }
    out.push('}');
}

fn series_list(out: &mut String, series: &[MetricSeries], instant: bool) {
    out.push_str(if instant {
        "\"vector\",\"result\":["
    } else {
        "\"matrix\",\"result\":["
    });
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"metric\":");
        labels_object(out, &s.labels);
        if instant {
            out.push_str(",\"value\":");
            if let Some((t, v)) = s.points.first() {
                write_point(out, ms(*t), *v);
            }
        } else {
            out.push_str(",\"values\":[");
            for (j, (t, v)) in s.points.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                write_point(out, ms(*t), *v);
            }
            out.push(']');
        }
        out.push('}');
    }
    out.push(']');
}

/// Loki's `stats.summary`, with what Parquetry measures.
fn stats(out: &mut String, stats: &QueryStats) {
    let secs = stats.exec_time.as_secs_f64();
    let per_second = |n: u64| if secs > 0.0 { (n as f64 / secs) as u64 } else { 0 };
    let _ = write!(
        out,
        "{{\"summary\":{{\"bytesProcessedPerSecond\":{},\"linesProcessedPerSecond\":{},\
         \"totalBytesProcessed\":{},\"totalLinesProcessed\":{},\"execTime\":{},\"queueTime\":0,\
         \"subqueries\":0,\"totalEntriesReturned\":{}}}}}",
        per_second(stats.bytes_processed),
        per_second(stats.lines_processed),
        stats.bytes_processed,
        stats.lines_processed,
        secs,
        stats.entries_returned
    );
}

/// The body of Loki's `query` or `query_range` response for `answer`.
pub fn to_loki_json(answer: &Answer) -> String {
    let mut out = String::from("{\"status\":\"success\",\"data\":{\"resultType\":");
    match &answer.output {
        QueryOutput::Streams(s) => streams(&mut out, s),
        QueryOutput::Metric(MetricResult::Scalar(points)) if answer.instant => {
            out.push_str("\"scalar\",\"result\":");
            let (t, v) = points.first().copied().unwrap_or((answer.time, f64::NAN));
            write_point(&mut out, ms(t), v);
        }
        QueryOutput::Metric(MetricResult::Scalar(points)) => {
            let series = MetricSeries {
                labels: LabelSet::default(),
                points: points.clone(),
            };
            series_list(&mut out, std::slice::from_ref(&series), false);
        }
        QueryOutput::Metric(MetricResult::Vector(series)) => series_list(&mut out, series, answer.instant),
    }
    if answer.categorized {
        out.push_str(",\"encodingFlags\":[\"categorize-labels\"]");
    }
    out.push_str(",\"stats\":");
    stats(&mut out, &answer.stats);
    out.push_str("}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(output: QueryOutput, instant: bool) -> Answer {
        Answer {
            output,
            instant,
            time: 2_000_000_000,
            categorized: false,
            stats: QueryStats::default(),
        }
    }

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        LabelSet::from_pairs(pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())))
    }

    #[test]
    fn streams_carry_nanosecond_strings() {
        let s = LogStream {
            labels: labels(&[("app", "a"), ("level", "")]),
            entries: vec![(1_500_000_001, "say \"hi\"".into())],
            entry_labels: Vec::new(),
        };
        let json = to_loki_json(&answer(QueryOutput::Streams(vec![s]), false));
        assert!(
            json.starts_with(
                r#"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a","level":""},"values":[["1500000001","say \"hi\""]]}],"stats":{"summary":"#
            ),
            "{json}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["data"]["stats"]["summary"]["totalLinesProcessed"], 0);
    }

    #[test]
    fn categorized_lines_carry_their_own_labels_third() {
        let s = LogStream {
            labels: labels(&[("app", "a")]),
            entries: vec![(1, "x".into()), (2, "y".into())],
            entry_labels: vec![
                EntryLabels {
                    metadata: labels(&[("trace_id", "abc")]),
                    parsed: labels(&[("level", "info")]),
                },
                EntryLabels::default(),
            ],
        };
        let mut categorized = answer(QueryOutput::Streams(vec![s]), false);
        categorized.categorized = true;
        let json: serde_json::Value = serde_json::from_str(&to_loki_json(&categorized)).unwrap();
        assert_eq!(
            json["data"]["result"][0]["values"],
            serde_json::json!([
                ["1", "x", {"structuredMetadata": {"trace_id": "abc"}, "parsed": {"level": "info"}}],
                ["2", "y", {}]
            ])
        );
        assert_eq!(
            json["data"]["encodingFlags"],
            serde_json::json!(["categorize-labels"])
        );
    }

    #[test]
    fn metrics_carry_seconds() {
        let s = MetricSeries {
            labels: labels(&[("app", "a")]),
            points: vec![(1_500_000_000, 0.5), (2_000_000_000, 1.0)],
        };
        let vector = to_loki_json(&answer(
            QueryOutput::Metric(MetricResult::Vector(vec![MetricSeries {
                points: vec![(2_000_000_000, 1.0)],
                ..s.clone()
            }])),
            true,
        ));
        assert!(
            vector.contains(r#""resultType":"vector","result":[{"metric":{"app":"a"},"value":[2,"1"]}]"#)
        );
        let matrix = to_loki_json(&answer(QueryOutput::Metric(MetricResult::Vector(vec![s])), false));
        assert!(matrix.contains(r#""values":[[1.500,"0.5"],[2,"1"]]"#), "{matrix}");
        let scalar = to_loki_json(&answer(QueryOutput::Metric(MetricResult::Scalar(vec![])), true));
        assert!(
            scalar.contains(r#""resultType":"scalar","result":[2,"NaN"]"#),
            "{scalar}"
        );
    }
}
