use super::proto::*;
use super::*;

/// A body as senders send it: the message, snappy block-compressed.
pub(crate) fn body(message: &impl Message) -> Vec<u8> {
    snap::raw::Encoder::new()
        .compress_vec(&message.encode_to_vec())
        .unwrap()
}

fn label(name: &str, value: &str) -> Label {
    Label {
        name: name.into(),
        value: value.into(),
    }
}

fn sample(timestamp: i64, value: f64) -> Sample {
    Sample { value, timestamp }
}

fn v1_series(labels: Vec<Label>, samples: Vec<Sample>) -> TimeSeries {
    TimeSeries {
        labels,
        samples,
        exemplars: Vec::new(),
        histograms: Vec::new(),
    }
}

/// What a request reads as: each series' labels as text with its times and value bits,
/// the metadata, and the counts of samples, histograms and exemplars.
type Read = (
    Vec<(String, Vec<i64>, Vec<u64>)>,
    Vec<parquetry_model::MetricMetadata>,
    (u64, u64, u64),
);

fn read(protocol: Protocol, body: &[u8]) -> Result<Read, RemoteWriteError> {
    let decoded = decode(protocol, body)?;
    let write = decoded.read()?;
    let series = write
        .series()
        .map(|(labels, points)| {
            (
                Labels::from_pairs(labels.iter().copied()).to_string(),
                points.iter().map(|p| p.0).collect(),
                points.iter().map(|p| p.1.to_bits()).collect(),
            )
        })
        .collect();
    let counts = (write.samples(), write.histograms, write.exemplars);
    Ok((series, write.metadata.clone(), counts))
}

fn v1(timeseries: Vec<TimeSeries>) -> Vec<u8> {
    body(&WriteRequest {
        timeseries,
        metadata: Vec::new(),
    })
}

#[test]
fn content_types_choose_the_protocol() {
    let cases = [
        ("application/x-protobuf", Some(Protocol::V1)),
        (
            "application/x-protobuf;proto=prometheus.WriteRequest",
            Some(Protocol::V1),
        ),
        (
            "application/x-protobuf; proto=io.prometheus.write.v2.Request",
            Some(Protocol::V2),
        ),
        ("application/x-protobuf;proto=other.Message", None),
        ("application/json", None),
    ];
    for (header, want) in cases {
        assert_eq!(Protocol::from_content_type(header), want, "{header}");
    }
}

#[test]
fn a_1_0_request_gives_series_metadata_and_counts() {
    let mut series = v1_series(
        vec![label("__name__", "up"), label("empty", ""), label("job", "api")],
        vec![
            sample(1000, 1.0),
            sample(2000, f64::from_bits(0x7ff0000000000002)),
        ],
    );
    series.exemplars.push(Exemplar {
        labels: vec![label("trace_id", "t")],
        value: 1.0,
        timestamp: 1000,
    });
    series.histograms.push(Histogram { timestamp: 1000 });
    let request = WriteRequest {
        timeseries: vec![series],
        metadata: vec![super::proto::MetricMetadata {
            kind: 1,
            metric_family_name: "http_requests_total".into(),
            help: "Requests.".into(),
            unit: String::new(),
        }],
    };
    let (series, metadata, counts) = read(Protocol::V1, &body(&request)).unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0].0, r#"up{job="api"}"#, "the empty label is absent");
    assert_eq!(series[0].1, [1000, 2000]);
    assert_eq!(series[0].2[1], 0x7ff0000000000002, "stale marker kept");
    assert_eq!(counts, (2, 1, 1));
    assert_eq!(metadata[0].kind, MetricType::Counter);
    assert_eq!(metadata[0].metric, "http_requests_total");
}

#[test]
fn a_2_0_request_resolves_symbols_and_per_series_metadata() {
    let symbols = ["", "__name__", "req_total", "job", "api", "Requests.", "requests"];
    let request = RequestV2 {
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        timeseries: vec![TimeSeriesV2 {
            labels_refs: vec![1, 2, 3, 4],
            samples: vec![sample(5000, 7.0)],
            histograms: Vec::new(),
            exemplars: Vec::new(),
            metadata: Some(MetadataV2 {
                kind: 1,
                help_ref: 5,
                unit_ref: 6,
            }),
        }],
    };
    let (series, metadata, _) = read(Protocol::V2, &body(&request)).unwrap();
    assert_eq!(series[0].0, r#"req_total{job="api"}"#);
    assert_eq!(series[0].2, [7.0f64.to_bits()]);
    assert_eq!(
        metadata,
        vec![parquetry_model::MetricMetadata {
            metric: "req_total".into(),
            kind: MetricType::Counter,
            help: "Requests.".into(),
            unit: "requests".into(),
        }]
    );
}

#[test]
fn bad_requests_are_refused_whole_with_the_reason() {
    let good = v1_series(vec![label("__name__", "up")], vec![sample(1, 1.0)]);
    let cases: Vec<(Protocol, Vec<u8>, &str)> = vec![
        (Protocol::V1, b"not snappy at all".to_vec(), "not snappy"),
        (
            Protocol::V1,
            snap::raw::Encoder::new()
                .compress_vec(&[0xff, 0xff, 0xff])
                .unwrap(),
            "does not decode as prometheus.WriteRequest",
        ),
        (
            Protocol::V1,
            v1(vec![
                good.clone(),
                v1_series(
                    vec![label("job", "a"), label("__name__", "up")],
                    vec![sample(1, 1.0)],
                ),
            ]),
            "not sorted",
        ),
        (
            Protocol::V1,
            v1(vec![v1_series(
                vec![label("__name__", "up"), label("job", "a"), label("job", "b")],
                vec![sample(1, 1.0)],
            )]),
            "appears twice",
        ),
        (
            Protocol::V1,
            v1(vec![v1_series(vec![label("job", "a")], vec![sample(1, 1.0)])]),
            "no __name__ label",
        ),
        (
            Protocol::V1,
            v1(vec![v1_series(
                vec![label("__name__", "up")],
                vec![sample(i64::MAX, 1.0)],
            )]),
            "out of range",
        ),
        (
            Protocol::V2,
            body(&RequestV2 {
                symbols: vec![String::new(), "__name__".into()],
                timeseries: vec![TimeSeriesV2 {
                    labels_refs: vec![1, 9],
                    samples: vec![sample(1, 1.0)],
                    histograms: Vec::new(),
                    exemplars: Vec::new(),
                    metadata: None,
                }],
            }),
            "symbol reference 9 is out of range",
        ),
        (
            Protocol::V2,
            body(&RequestV2 {
                symbols: vec![String::new(), "__name__".into()],
                timeseries: vec![TimeSeriesV2 {
                    labels_refs: vec![1],
                    samples: Vec::new(),
                    histograms: Vec::new(),
                    exemplars: Vec::new(),
                    metadata: None,
                }],
            }),
            "name and value pairs",
        ),
    ];
    for (protocol, request, reason) in cases {
        let error = read(protocol, &request).unwrap_err();
        assert!(error.to_string().contains(reason), "{reason}: {error}");
    }
}
