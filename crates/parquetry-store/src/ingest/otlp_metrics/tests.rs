use super::*;
use parquetry_model::otlp_proto::{AnyValueProto, KeyValue as KeyValueProto, Kind, ResourceProto};

const T: u64 = 1_767_225_600_000_000_000;
const T_MS: i64 = 1_767_225_600_000;

fn text(key: &str, value: &str) -> KeyValueProto {
    KeyValueProto {
        key: key.into(),
        value: Some(AnyValueProto {
            value: Some(Kind::String(value.into())),
        }),
    }
}

fn request(metrics: Vec<proto::Metric>) -> Vec<u8> {
    proto::MetricsData {
        resource_metrics: vec![proto::ResourceMetrics {
            resource: Some(ResourceProto {
                attributes: vec![
                    text("service.name", "api"),
                    text("service.namespace", "shop"),
                    text("service.instance.id", "pod-1"),
                    text("host.name", "node-7"),
                ],
                dropped_attributes_count: 0,
            }),
            scope_metrics: vec![proto::ScopeMetrics { scope: None, metrics }],
        }],
    }
    .encode_to_vec()
}

fn number(value: f64, at: u64, attributes: Vec<KeyValueProto>) -> proto::NumberDataPoint {
    proto::NumberDataPoint {
        attributes,
        start_time_unix_nano: 0,
        time_unix_nano: at,
        value: Some(proto::NumberValue::AsDouble(value)),
        flags: 0,
    }
}

fn metric(name: &str, unit: &str, data: proto::Data) -> proto::Metric {
    proto::Metric {
        name: name.into(),
        description: format!("{name} help"),
        unit: unit.into(),
        data: Some(data),
    }
}

fn series(out: &OtlpMetrics) -> Vec<(String, Vec<(i64, f64)>)> {
    out.series
        .iter()
        .map(|(labels, points)| (labels.to_string(), points.clone()))
        .collect()
}

#[test]
fn counters_and_gauges_take_prometheus_names_and_target_labels() {
    let counter = metric(
        "http.server.requests",
        "{request}",
        proto::Data::Sum(proto::Sum {
            data_points: vec![number(
                5.0,
                T,
                vec![text("http.route", "/a"), text("http_route", "/b")],
            )],
            aggregation_temporality: proto::TEMPORALITY_CUMULATIVE,
            is_monotonic: true,
        }),
    );
    let mut stale = number(0.0, T + 300_000_000_000, Vec::new());
    stale.flags = 1;
    let gauge = metric(
        "cpu.utilization",
        "1",
        proto::Data::Gauge(proto::Gauge {
            data_points: vec![number(0.5, T, Vec::new()), stale],
        }),
    );
    let out = decode_protobuf(&request(vec![counter, gauge])).unwrap();
    let got = series(&out);
    assert_eq!(
        got[0],
        (
            r#"http_server_requests_total{http_route="/a;/b", instance="pod-1", job="shop/api"}"#.to_string(),
            vec![(T_MS, 5.0)]
        )
    );
    assert_eq!(
        got[1].0,
        r#"cpu_utilization_ratio{instance="pod-1", job="shop/api"}"#
    );
    assert!(parquetry_model::value::is_stale_nan(got[2].1[0].1));
    let (info, points) = got.last().unwrap();
    assert_eq!(
        info,
        r#"target_info{host_name="node-7", instance="pod-1", job="shop/api"}"#
    );
    let times: Vec<i64> = points.iter().map(|p| p.0).collect();
    assert_eq!(times, [T_MS, T_MS + 150_000, T_MS + 300_000]);
    let kinds: Vec<(&str, MetricType)> = out.metadata.iter().map(|m| (m.metric.as_str(), m.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("http_server_requests_total", MetricType::Counter),
            ("cpu_utilization_ratio", MetricType::Gauge)
        ]
    );
}

#[test]
fn histograms_and_summaries_become_classic_series() {
    let histogram = metric(
        "http.server.request.duration",
        "s",
        proto::Data::Histogram(proto::Histogram {
            data_points: vec![proto::HistogramDataPoint {
                attributes: Vec::new(),
                start_time_unix_nano: 0,
                time_unix_nano: T,
                count: 6,
                sum: Some(1.5),
                bucket_counts: vec![1, 2, 3],
                explicit_bounds: vec![0.1, 1.0],
                flags: 0,
            }],
            aggregation_temporality: proto::TEMPORALITY_CUMULATIVE,
        }),
    );
    let summary = metric(
        "rpc.latency",
        "ms",
        proto::Data::Summary(proto::Summary {
            data_points: vec![proto::SummaryDataPoint {
                attributes: Vec::new(),
                start_time_unix_nano: 0,
                time_unix_nano: T,
                count: 4,
                sum: 10.0,
                quantile_values: vec![proto::ValueAtQuantile {
                    quantile: 0.99,
                    value: 7.0,
                }],
                flags: 0,
            }],
        }),
    );
    let out = decode_protobuf(&request(vec![histogram, summary])).unwrap();
    let got: Vec<(String, f64)> = series(&out)
        .into_iter()
        .filter(|(name, _)| !name.starts_with("target_info"))
        .map(|(name, points)| {
            (
                name.replace(r#"instance="pod-1", job="shop/api""#, "…"),
                points[0].1,
            )
        })
        .collect();
    let want = [
        (r#"http_server_request_duration_seconds_sum{…}"#, 1.5),
        (r#"http_server_request_duration_seconds_count{…}"#, 6.0),
        (r#"http_server_request_duration_seconds_bucket{…, le="0.1"}"#, 1.0),
        (r#"http_server_request_duration_seconds_bucket{…, le="1"}"#, 3.0),
        (
            r#"http_server_request_duration_seconds_bucket{…, le="+Inf"}"#,
            6.0,
        ),
        (r#"rpc_latency_milliseconds_sum{…}"#, 10.0),
        (r#"rpc_latency_milliseconds_count{…}"#, 4.0),
        (r#"rpc_latency_milliseconds{…, quantile="0.99"}"#, 7.0),
    ];
    let want: Vec<(String, f64)> = want.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    assert_eq!(got, want);
}

#[test]
fn delta_sums_and_exponential_histograms_are_counted_as_rejected() {
    let delta = metric(
        "jobs",
        "",
        proto::Data::Sum(proto::Sum {
            data_points: vec![number(1.0, T, Vec::new()), number(2.0, T, Vec::new())],
            aggregation_temporality: proto::TEMPORALITY_DELTA,
            is_monotonic: true,
        }),
    );
    let exponential = metric(
        "sizes",
        "By",
        proto::Data::ExponentialHistogram(proto::ExponentialHistogram {
            data_points: vec![proto::ExponentialHistogramDataPoint {}],
        }),
    );
    let out = decode_protobuf(&request(vec![delta, exponential])).unwrap();
    assert_eq!(out.samples(), 0);
    assert_eq!(out.rejected, 3);
    assert_eq!(out.reasons.len(), 2, "{:?}", out.reasons);
}

#[test]
fn json_reads_as_protobuf_does() {
    let body = format!(
        r#"{{"resourceMetrics":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"api"}}}}]}},"scopeMetrics":[{{"metrics":[
        {{"name":"queue.size","unit":"{{item}}","gauge":{{"dataPoints":[{{"timeUnixNano":"{T}","asInt":"7","attributes":[{{"key":"queue","value":{{"stringValue":"a"}}}}]}}]}}}},
        {{"name":"errors","sum":{{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","isMonotonic":true,"dataPoints":[{{"timeUnixNano":{T},"asDouble":"NaN"}}]}}}},
        {{"name":"d","histogram":{{"aggregationTemporality":2,"dataPoints":[{{"timeUnixNano":"{T}","count":"2","bucketCounts":["1","1"],"explicitBounds":[5]}}]}}}}
        ]}}]}}]}}"#
    );
    let out = decode_json(body.as_bytes()).unwrap();
    let got = series(&out);
    assert_eq!(
        got[0],
        (
            r#"queue_size{job="api", queue="a"}"#.to_string(),
            vec![(T_MS, 7.0)]
        )
    );
    assert_eq!(got[1].0, r#"errors_total{job="api"}"#);
    assert!(got[1].1[0].1.is_nan());
    let names: Vec<&str> = got[2..].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            r#"d_count{job="api"}"#,
            r#"d_bucket{job="api", le="5"}"#,
            r#"d_bucket{job="api", le="+Inf"}"#
        ]
    );
}

#[test]
fn invalid_requests_are_refused_whole() {
    let bad_buckets = metric(
        "h",
        "",
        proto::Data::Histogram(proto::Histogram {
            data_points: vec![proto::HistogramDataPoint {
                time_unix_nano: T,
                count: 1,
                bucket_counts: vec![1],
                explicit_bounds: vec![1.0, 2.0],
                ..proto::HistogramDataPoint::default()
            }],
            aggregation_temporality: proto::TEMPORALITY_CUMULATIVE,
        }),
    );
    let err = decode_protobuf(&request(vec![bad_buckets])).unwrap_err();
    assert!(err.contains("bucket counts"), "{err}");
    let nameless = metric(
        "...",
        "",
        proto::Data::Gauge(proto::Gauge {
            data_points: Vec::new(),
        }),
    );
    assert!(
        decode_protobuf(&request(vec![nameless]))
            .unwrap_err()
            .contains("no name")
    );
    assert!(decode_protobuf(b"\xff\xff").unwrap_err().contains("MetricsData"));
    assert!(
        decode_json(b"{\"resourceMetrics\":7}")
            .unwrap_err()
            .contains("malformed")
    );
}
