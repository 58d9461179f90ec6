//! Prometheus' API over a real store and a real HTTP connection: answers, error shapes
//! and status codes, limits, and new commits seen without a restart.

use super::server::{TestServer, ingest};
use crate::ServerConfig;
use serde_json::Value;
use std::path::Path;

/// Two jobs' `up` and a counter, every 15 s for ten minutes from t=0.
fn fleet(dir: &Path) -> std::path::PathBuf {
    let store = dir.join("store");
    let mut text = String::new();
    for i in 0..=40 {
        let t = i * 15_000;
        text += &format!("up{{job=\"api\",instance=\"a\"}} 1 {t}\n");
        text += &format!("up{{job=\"db\",instance=\"b\"}} {} {t}\n", i % 2);
        text += &format!("requests_total{{job=\"api\",code=\"200\"}} {} {t}\n", i * 30);
    }
    ingest(dir, &store, "fleet.prom", &text);
    store
}

fn error_of(body: &Value) -> (&str, &str) {
    assert_eq!(body["status"], "error", "{body}");
    (
        body["errorType"].as_str().unwrap(),
        body["error"].as_str().unwrap(),
    )
}

#[test]
fn queries_answer_in_prometheus_shapes_by_get_and_by_post() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());

    let (status, body) = server.get("/api/v1/query?query=sum(up)&time=300");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"status": "success", "data": {"resultType": "vector",
            "result": [{"metric": {}, "value": [300, "1"]}]}})
    );
    let (status, posted) = server.post_form("/api/v1/query", "query=sum%28up%29&time=300");
    assert_eq!((status, &posted), (200, &body));

    let (status, body) = server.get("/api/v1/query_range?query=requests_total%20-%20requests_total%20offset%2015s&start=120&end=150&step=15s");
    assert_eq!(status, 200);
    assert_eq!(body["data"]["resultType"], "matrix");
    let series = &body["data"]["result"][0];
    assert_eq!(series["metric"], serde_json::json!({"code": "200", "job": "api"}));
    assert_eq!(
        series["values"],
        serde_json::json!([[120, "30"], [135, "30"], [150, "30"]])
    );

    let (_, with_stats) = server.get("/api/v1/query?query=sum(up)&time=300&stats=all");
    assert_eq!(
        with_stats["data"]["result"],
        serde_json::json!([{"metric": {}, "value": [300, "1"]}])
    );
    let stats = &with_stats["data"]["stats"];
    let timings: Vec<&str> = stats["timings"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(timings.len(), 6, "{stats}");
    for name in ["evalTotalTime", "execQueueTime", "execTotalTime", "innerEvalTime"] {
        assert!(stats["timings"][name].as_f64().unwrap() >= 0.0, "{stats}");
    }
    assert_eq!(
        (
            stats["samples"]["totalQueryableSamples"].as_u64(),
            stats["samples"]["peakSamples"].as_u64()
        ),
        (Some(40), Some(2)),
        "both series' samples in the lookback window (0 s, 300 s], then one value of each: {stats}"
    );

    let (_, scalar) = server.get("/api/v1/query?query=1%2B1&time=2026-01-05T00:00:00.5Z");
    assert_eq!(
        scalar["data"],
        serde_json::json!({"resultType": "scalar", "result": [1767571200.5, "2"]})
    );
}

#[test]
fn bad_requests_get_prometheus_errors_and_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let cases = [
        (
            "/api/v1/query_range?query=up&end=10&step=1",
            400,
            "bad_data",
            "invalid parameter \"start\": cannot parse \"\" to a valid timestamp",
        ),
        (
            "/api/v1/query_range?query=up&start=x&end=10&step=1",
            400,
            "bad_data",
            "invalid parameter \"start\": cannot parse \"x\" to a valid timestamp",
        ),
        (
            "/api/v1/query_range?query=up&start=10&end=5&step=1",
            400,
            "bad_data",
            "invalid parameter \"end\": end timestamp must not be before start time",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=10&step=0",
            400,
            "bad_data",
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=10&step=x",
            400,
            "bad_data",
            "invalid parameter \"step\": cannot parse \"x\" to a valid duration",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=100000&step=1",
            400,
            "bad_data",
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ),
        (
            "/api/v1/query?query=up&time=x",
            400,
            "bad_data",
            "invalid parameter \"time\": cannot parse \"x\" to a valid timestamp",
        ),
        (
            "/api/v1/query?query=up&timeout=soon",
            400,
            "bad_data",
            "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration",
        ),
        ("/api/v1/series", 400, "bad_data", "no match[] parameter provided"),
        (
            "/api/v1/series?match[]=%7B%7D",
            400,
            "bad_data",
            "invalid parameter \"match[]\": ",
        ),
        (
            "/api/v1/labels?limit=-3",
            400,
            "bad_data",
            "invalid parameter \"limit\": limit must be non-negative",
        ),
        (
            "/api/v1/query?query=up%7Bjob%3D%22a%22%2Cjob%3D%22b%22%7D%20%2B%20on(job)%20group_left%20up&time=10",
            200,
            "",
            "",
        ),
    ];
    for (path, code, kind, message) in cases {
        let (status, body) = server.get(path);
        assert_eq!(status, code, "{path}: {body}");
        if code != 200 {
            let (k, m) = error_of(&body);
            assert_eq!(k, kind, "{path}");
            assert!(m.starts_with(message), "{path}: {m}");
        }
    }
    let (status, body) = server.get("/api/v1/query?query=sum(up&time=10");
    assert_eq!(status, 400);
    let (kind, message) = error_of(&body);
    assert_eq!(kind, "bad_data");
    assert!(
        message.starts_with("invalid parameter \"query\": 1:"),
        "{message}"
    );
    assert!(message.contains("parse error"), "{message}");

    let (status, body) = server.get("/api/v1/query?query=up%20%2B%20on()%20up&time=300");
    assert_eq!(status, 422, "many-to-many matching is an execution error: {body}");
    assert_eq!(error_of(&body).0, "execution");

    let (status, _, text) = server.get_with("/api/v1/nothing", &[]);
    assert_eq!((status, text.as_str()), (404, "404 page not found\n"));
}

#[test]
fn limits_and_timeouts_fail_as_prometheus_fails() {
    let dir = tempfile::tempdir().unwrap();
    let store = fleet(dir.path());
    let config = ServerConfig {
        max_samples: 10,
        max_body_bytes: 1024,
        ..ServerConfig::default()
    };
    let server = TestServer::start(&store, config);
    let (status, body) = server.get("/api/v1/query_range?query=up&start=0&end=600&step=15");
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        error_of(&body),
        (
            "execution",
            "query processing would load too many samples into memory in query execution"
        )
    );
    let (status, body) = server.get("/api/v1/query?query=1&timeout=0");
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_of(&body).0, "timeout");
    let (status, body) = server.post_form("/api/v1/query", &format!("query={}", "1".repeat(4096)));
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_of(&body).0, "bad_data");
}

#[test]
fn series_labels_and_values_list_what_the_selectors_choose() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let (status, body) = server.get("/api/v1/series?match[]=up&match[]=up%7Bjob%3D%22db%22%7D");
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        serde_json::json!([
            {"__name__": "up", "instance": "a", "job": "api"},
            {"__name__": "up", "instance": "b", "job": "db"},
        ])
    );
    let (_, body) = server.get("/api/v1/labels");
    assert_eq!(
        body["data"],
        serde_json::json!(["__name__", "code", "instance", "job"])
    );
    let (_, body) = server.get("/api/v1/labels?match[]=up");
    assert_eq!(body["data"], serde_json::json!(["__name__", "instance", "job"]));
    let (_, body) = server.get("/api/v1/label/job/values");
    assert_eq!(body["data"], serde_json::json!(["api", "db"]));
    let (_, body) = server.get("/api/v1/label/__name__/values?match[]=%7Bjob%3D%22api%22%7D");
    assert_eq!(body["data"], serde_json::json!(["requests_total", "up"]));
    let (_, body) = server.get("/api/v1/label/job/values?limit=1");
    assert_eq!(body["data"], serde_json::json!(["api"]));
    assert_eq!(
        body["warnings"],
        serde_json::json!(["results truncated due to limit"])
    );
    let (_, body) = server.get("/api/v1/label/job/values?start=100000&end=200000");
    assert_eq!(body["data"], serde_json::json!([]), "no series has samples then");
    let (_, body) = server.get("/api/v1/label/U__j_6f_b/values");
    assert_eq!(body["data"], serde_json::json!(["api", "db"]), "escaped `job`");
}

#[test]
fn metadata_lists_what_openmetrics_ingest_declared() {
    let dir = tempfile::tempdir().unwrap();
    let store = fleet(dir.path());
    let text = "# TYPE http_requests counter\n# HELP http_requests Requests \\\"served\\\".\n\
        # UNIT http_request_seconds seconds\n# TYPE http_request_seconds histogram\n\
        http_requests_total 1 1\n# EOF\n";
    ingest(dir.path(), &store, "declared.om", text);
    let server = TestServer::start(&store, ServerConfig::default());
    let (status, _, raw) = server.get_with("/api/v1/metadata", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        raw,
        r#"{"status":"success","data":{"http_request_seconds":[{"type":"histogram","help":"","unit":"seconds"}],"http_requests":[{"type":"counter","help":"Requests \"served\".","unit":""}]}}"#
    );
    let (_, body) = server.get("/api/v1/metadata?metric=http_requests");
    assert_eq!(body["data"].as_object().unwrap().len(), 1);
    let (_, body) = server.get("/api/v1/metadata?limit=0");
    assert_eq!(body["data"], serde_json::json!({}));
    let (status, body) = server.get("/api/v1/metadata?limit=x");
    assert_eq!(
        (status, error_of(&body)),
        (400, ("bad_data", "limit must be a number"))
    );
}

#[test]
fn status_endpoints_answer_and_responses_are_gzipped_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let (status, body) = server.get("/api/v1/status/buildinfo");
    assert_eq!(status, 200);
    assert_eq!(body["data"]["version"], "3.5.0");
    assert_eq!(server.get_with("/-/healthy", &[]).0, 200);
    assert_eq!(server.get_with("/-/ready", &[]).0, 200);
    let (_, body) = server.get("/api/v1/query_exemplars?query=up&start=0&end=100");
    assert_eq!(body, serde_json::json!({"status": "success", "data": []}));
    let (status, encoding, _) = server.get_with(
        "/api/v1/query_range?query=up&start=0&end=600&step=15",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!((status, encoding.as_deref()), (200, Some("gzip")));
}

#[test]
fn annotations_come_as_prometheus_warnings_and_infos() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let (_, body) = server.get("/api/v1/query?query=rate(up[5m])&time=300");
    assert_eq!(
        body["infos"],
        serde_json::json!([
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"up\" (1:6)"
        ])
    );
    assert_eq!(body.get("warnings"), None);
    let (_, body) = server.get("/api/v1/query_range?query=quantile(2,%20up)&start=0&end=60&step=15");
    assert_eq!(
        body["warnings"],
        serde_json::json!(["PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)"])
    );
    let (_, body) = server.get("/api/v1/query?query=rate(requests_total[5m])&time=300");
    assert_eq!((body.get("infos"), body.get("warnings")), (None, None));
}

#[test]
fn queries_are_formatted_and_parsed_without_being_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let (status, body) = server.get("/api/v1/format_query?query=sum(up{b=%22x%22,a=%22y%22})by(job)");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"status": "success", "data": "sum by (job) (up{a=\"y\",b=\"x\"})"})
    );
    let (_, posted) = server.post_form("/api/v1/parse_query", "query=-up");
    assert_eq!(posted["data"]["type"], "unaryExpr");
    assert_eq!(posted["data"]["expr"]["type"], "vectorSelector");
    let (status, body) = server.get("/api/v1/format_query?query=sum(");
    assert_eq!(status, 400);
    assert_eq!(error_of(&body).0, "bad_data");
    assert!(
        error_of(&body)
            .1
            .starts_with("invalid parameter \"query\": 1:5: parse error")
    );
}

#[test]
fn a_commit_made_while_serving_is_answered_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = fleet(dir.path());
    let server = TestServer::start(&store, ServerConfig::default());
    let (_, before) = server.get("/api/v1/query?query=count(late)&time=60");
    assert_eq!(before["data"]["result"], serde_json::json!([]));
    ingest(dir.path(), &store, "late.prom", "late{job=\"x\"} 7 60000\n");
    let (_, after) = server.get("/api/v1/query?query=late&time=60");
    assert_eq!(
        after["data"]["result"],
        serde_json::json!([{"metric": {"__name__": "late", "job": "x"}, "value": [60, "7"]}])
    );
}

#[test]
fn remote_read_answers_each_query_with_its_raw_samples() {
    use crate::prometheus::remote_read::{LabelMatcher, Query, ReadRequest, ReadResponse};
    use crate::prometheus::remote_read_stream::ChunkedReadResponse;
    use prost::Message;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&fleet(dir.path()), ServerConfig::default());
    let matcher = |kind, name: &str, value: &str| LabelMatcher {
        kind,
        name: name.into(),
        value: value.into(),
    };
    let request = ReadRequest {
        queries: vec![
            Query {
                start_timestamp_ms: 0,
                end_timestamp_ms: 60_000,
                matchers: vec![matcher(0, "__name__", "up"), matcher(2, "job", "a.*")],
            },
            Query {
                start_timestamp_ms: 0,
                end_timestamp_ms: 600_000,
                matchers: vec![matcher(1, "__name__", "up")],
            },
        ],
        accepted_response_types: vec![0],
    };
    let encode = |request: &ReadRequest| {
        snap::raw::Encoder::new()
            .compress_vec(&request.encode_to_vec())
            .unwrap()
    };
    let body = encode(&request);
    let headers = [
        ("Content-Type", "application/x-protobuf"),
        ("Content-Encoding", "snappy"),
    ];
    let (status, found, text) = server.post_bytes("/api/v1/read", &headers, &body, &["content-type"]);
    assert_eq!(
        (status, found[0].as_deref()),
        (200, Some("application/x-protobuf")),
        "{text}"
    );
    let raw = TestServer::agent()
        .post(format!("{}/api/v1/read", server.url))
        .send(&body)
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap();
    let answer =
        ReadResponse::decode(snap::raw::Decoder::new().decompress_vec(&raw).unwrap().as_slice()).unwrap();
    assert_eq!(answer.results.len(), 2);
    let first = &answer.results[0].timeseries;
    assert_eq!(first.len(), 1);
    let names: Vec<(&str, &str)> = first[0]
        .labels
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect();
    assert_eq!(names, [("__name__", "up"), ("instance", "a"), ("job", "api")]);
    let times: Vec<i64> = first[0].samples.iter().map(|s| s.timestamp).collect();
    assert_eq!(times, [0, 15_000, 30_000, 45_000, 60_000]);
    let others = &answer.results[1].timeseries;
    assert_eq!(others.len(), 1, "requests_total only");
    assert_eq!(others[0].samples.len(), 41);
    let (status, _, text) = server.post_bytes("/api/v1/read", &headers, b"not snappy", &[]);
    assert_eq!(status, 400, "{text}");

    // Streamed chunks when the client prefers them, as Prometheus does.
    let streamed = ReadRequest {
        accepted_response_types: vec![1, 0],
        ..request
    };
    let mut response = TestServer::agent()
        .post(format!("{}/api/v1/read", server.url))
        .send(&encode(&streamed))
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
    );
    let mut bytes: &[u8] = &response.body_mut().read_to_vec().unwrap();
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let len = prost::encoding::decode_varint(&mut bytes).unwrap() as usize;
        let checksum = u32::from_be_bytes(bytes[..4].try_into().unwrap());
        let message = &bytes[4..4 + len];
        assert_eq!(crc32c::crc32c(message), checksum);
        frames.push(ChunkedReadResponse::decode(message).unwrap());
        bytes = &bytes[4 + len..];
    }
    let indexes: Vec<(i64, usize)> = frames
        .iter()
        .map(|f| (f.query_index, f.chunked_series.len()))
        .collect();
    assert_eq!(indexes, [(0, 1), (1, 1)], "a frame per series");
    let chunks = &frames[0].chunked_series[0].chunks;
    assert_eq!(chunks.len(), 1);
    assert_eq!(
        (chunks[0].min_time_ms, chunks[0].max_time_ms, chunks[0].kind),
        (0, 60_000, 1)
    );
    assert_eq!(u16::from_be_bytes([chunks[0].data[0], chunks[0].data[1]]), 5);
}
