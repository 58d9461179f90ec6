//! Results as the body of Prometheus' HTTP API response.

use super::point_texts::PointTexts;
use super::result::{QueryResult, RUN_POINTS, ResultSeries, emit_in_order, point_runs};
use parquetry_model::value::write_api_value;
use std::io::{self, Write};

/// A timestamp as Prometheus writes it: Unix seconds, with exactly three decimals when
/// there are milliseconds, and a sign before the whole (`-1.500` for -1,500 ms).
fn write_timestamp(out: &mut String, ms: i64) {
    if ms < 0 {
        out.push('-');
    }
    let magnitude = ms.unsigned_abs();
    let (secs, frac) = (magnitude / 1000, magnitude % 1000);
    out.push_str(itoa::Buffer::new().format(secs));
    if frac != 0 {
        let digits = [frac / 100, frac / 10 % 10, frac % 10];
        out.push('.');
        out.extend(digits.map(|d| char::from(b'0' + d as u8)));
    }
}

/// Writes the point `[<seconds>,"<value>"]` at `t` milliseconds, as Prometheus' API does.
pub fn write_point(out: &mut String, t: i64, v: f64) {
    write_point_opening(out, t);
    write_api_value(out, v);
    out.push_str("\"]");
}

/// Writes what comes before a point's value, `[<seconds>,"`, at `t` milliseconds.
pub(super) fn write_point_opening(out: &mut String, t: i64) {
    out.push('[');
    write_timestamp(out, t);
    out.push_str(",\"");
}

/// Writes `s` as a JSON string: as it is between quotes when nothing in it needs an
/// escape (label names and values nearly always), through serde_json otherwise.
pub fn write_json_string(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).expect("strings serialize"));
    }
}

/// Writes label pairs as a JSON object, `{"name":"value",…}`, in the order given.
pub fn write_label_object<'a>(out: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    out.push('{');
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, name);
        out.push(':');
        write_json_string(out, value);
    }
    out.push('}');
}

fn metric(out: &mut String, s: &ResultSeries) {
    out.push_str("{\"metric\":");
    write_label_object(out, s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())));
    out.push(',');
}

/// What a server writes around an answer's result besides Prometheus' own fields:
/// `in_data` inside `data`, after `result` (`,"stats":{…}`), and `after_data` after
/// `data` (`,"warnings":[…]`). Both are empty for a bare answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras<'a> {
    /// Written inside `data`, after `result`; empty or starting with a comma.
    pub in_data: &'a str,
    /// Written after `data`, before the closing brace; empty or starting with a comma.
    pub after_data: &'a str,
}

/// `{"status":"success","data":{"resultType":…,"result":…}}` for `result`, with
/// `extras` written in their places, to `out` as it is made: a large matrix a few pieces
/// of at most about [`RUN_POINTS`] points at a time, each made on a thread of its own, so
/// that the answer is never held whole. An instant query's vector gives one `value` per
/// series, a range query's a `values` list; `instant` says which. `time_ms` is the
/// evaluation time of an instant scalar or string. Stops at `out`'s first error.
pub fn write_api_json(
    result: &QueryResult,
    instant: bool,
    time_ms: i64,
    extras: Extras<'_>,
    out: &mut impl Write,
) -> io::Result<()> {
    write_api_json_pieces(result, instant, time_ms, extras, &mut |piece| {
        out.write_all(&piece)
    })
}

/// [`write_api_json`]'s text handed to `put` in order, in the pieces it is made in, each
/// given away: a sink that can send a piece as it is (a response body sent in chunks)
/// takes a large answer without copying it. Stops at `put`'s first error.
pub fn write_api_json_pieces(
    result: &QueryResult,
    instant: bool,
    time_ms: i64,
    extras: Extras<'_>,
    put: &mut dyn FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    emit_result(result, instant, time_ms, put)?;
    put([extras.in_data, "}", extras.after_data, "}"]
        .concat()
        .into_bytes())
}

/// The text of [`write_api_json`] from its start to the end of `result`, in order, to
/// `emit`.
fn emit_result(
    result: &QueryResult,
    instant: bool,
    time_ms: i64,
    emit: &mut dyn FnMut(Vec<u8>) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = String::from("{\"status\":\"success\",\"data\":{\"resultType\":");
    match result {
        QueryResult::Scalar(points) if instant => {
            out.push_str("\"scalar\",\"result\":");
            let (t, v) = points.first().copied().unwrap_or((time_ms, f64::NAN));
            write_point(&mut out, t, v);
        }
        QueryResult::String(s) => {
            out.push_str("\"string\",\"result\":[");
            write_timestamp(&mut out, time_ms);
            out.push(',');
            write_json_string(&mut out, s);
            out.push(']');
        }
        QueryResult::Vector(series) if instant => {
            out.push_str("\"vector\",\"result\":[");
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                metric(&mut out, s);
                out.push_str("\"value\":");
                let (t, v) = s.points.first().copied().unwrap_or((time_ms, f64::NAN));
                write_point(&mut out, t, v);
                out.push('}');
            }
            out.push(']');
        }
        QueryResult::Scalar(points) => {
            let series = ResultSeries {
                labels: parquetry_model::Labels::empty(),
                points: points.clone(),
            };
            emit(out.into_bytes())?;
            return matrix(std::slice::from_ref(&series), emit);
        }
        QueryResult::Vector(series) | QueryResult::Range(series) => {
            emit(out.into_bytes())?;
            return matrix(series, emit);
        }
    }
    emit(out.into_bytes())
}

/// `"matrix","result":[…]`: runs of series written side by side and put out in order,
/// each run's piece starting with the comma after the run before.
fn matrix(series: &[ResultSeries], emit: &mut dyn FnMut(Vec<u8>) -> io::Result<()>) -> io::Result<()> {
    emit(b"\"matrix\",\"result\":[".to_vec())?;
    let runs: Vec<(bool, &[ResultSeries])> = point_runs(series, RUN_POINTS)
        .into_iter()
        .enumerate()
        .map(|(i, run)| (i > 0, run))
        .collect();
    let render = |&(after_another, run): &(bool, &[ResultSeries])| {
        let n: usize = run.iter().map(|s| s.points.len() + 4).sum();
        let mut part = Vec::with_capacity(n * 36);
        if after_another {
            part.push(b',');
        }
        matrix_series(&mut part, run, &mut PointTexts::new());
        part
    };
    emit_in_order(&runs, render, &mut *emit)?;
    emit(b"]".to_vec())
}

/// The series of a matrix, separated by commas, their points written through `texts`.
fn matrix_series(out: &mut Vec<u8>, series: &[ResultSeries], texts: &mut PointTexts) {
    let mut head = String::new();
    for (i, s) in series.iter().enumerate() {
        head.clear();
        if i > 0 {
            head.push(',');
        }
        metric(&mut head, s);
        head.push_str("\"values\":[");
        out.extend_from_slice(head.as_bytes());
        texts.write_points(out, &s.points);
        out.extend_from_slice(b"]}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_model::Labels;

    fn to_api_json(result: &QueryResult, instant: bool, time_ms: i64) -> String {
        let mut out = Vec::new();
        write_api_json(result, instant, time_ms, Extras::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn shapes_match_the_http_api() {
        let s = ResultSeries {
            labels: Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            points: vec![(1_500, 1.0)],
        };
        let v = to_api_json(&QueryResult::Vector(vec![s.clone()]), true, 1_500);
        assert_eq!(
            v,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1.500,"1"]}]}}"#
        );
        let m = to_api_json(&QueryResult::Vector(vec![s]), false, 0);
        assert!(m.contains(r#""resultType":"matrix""#) && m.contains(r#""values":[[1.500,"1"]]"#));
        let sc = to_api_json(&QueryResult::Scalar(vec![(2_000, f64::INFINITY)]), true, 2_000);
        assert!(sc.ends_with(r#""result":[2,"+Inf"]}}"#), "{sc}");
    }

    #[test]
    fn timestamps_are_seconds_with_three_decimals_and_a_sign_before_the_whole() {
        let written = |t: i64| {
            let mut out = String::new();
            write_point(&mut out, t, 1.0);
            out
        };
        assert_eq!(written(1_767_571_200_000), r#"[1767571200,"1"]"#);
        assert_eq!(written(1_767_571_200_120), r#"[1767571200.120,"1"]"#);
        assert_eq!(written(999), r#"[0.999,"1"]"#);
        assert_eq!(written(0), r#"[0,"1"]"#);
        assert_eq!(written(-1), r#"[-0.001,"1"]"#);
        assert_eq!(written(-1_500), r#"[-1.500,"1"]"#);
        assert_eq!(written(-2_000), r#"[-2,"1"]"#);
        assert_eq!(written(i64::MIN), r#"[-9223372036854775.808,"1"]"#);
    }

    #[test]
    fn extras_go_inside_data_after_the_result_and_after_data() {
        let extras = Extras {
            in_data: r#","stats":{}"#,
            after_data: r#","warnings":["w"]"#,
        };
        let written = |result: &QueryResult, instant: bool| {
            let mut out = Vec::new();
            write_api_json(result, instant, 1_000, extras, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let scalar = QueryResult::Scalar(vec![(1_000, 2.0)]);
        assert_eq!(
            written(&scalar, true),
            r#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"],"stats":{}},"warnings":["w"]}"#
        );
        assert_eq!(
            written(&scalar, false),
            r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"]]}],"stats":{}},"warnings":["w"]}"#
        );
    }

    #[test]
    fn a_large_matrix_written_in_parallel_reads_as_written_in_one_piece() {
        // Series of uneven lengths (some empty), enough points for the parallel writer.
        let series: Vec<ResultSeries> = (0..300)
            .map(|i| ResultSeries {
                labels: Labels::from_pairs([("__name__", "m"), ("i", &i.to_string())]),
                points: (0..(i * 7 % 1500))
                    .map(|t| (t as i64 * 15_000, t as f64 / 3.0))
                    .collect(),
            })
            .collect();
        let points: usize = series.iter().map(|s| s.points.len()).sum();
        assert!(point_runs(&series, RUN_POINTS).len() > 4, "{points} points");
        let mut one = Vec::new();
        matrix_series(&mut one, &series, &mut PointTexts::new());
        let one = String::from_utf8(one).unwrap();
        let result = QueryResult::Range(series);
        let body = to_api_json(&result, false, 0);
        let want = format!(r#"{{"status":"success","data":{{"resultType":"matrix","result":[{one}]}}}}"#);
        assert!(body == want, "the parallel body differs");
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["data"]["result"].as_array().unwrap().len(), 300);
    }
}
