//! TraceQL searches: the traces whose spansets a query finds, newest first, each with
//! its spansets and a few of their spans, as Tempo's search API answers. Traces are
//! read newest first ([`SpanStore::for_each_newest`]), and once `limit` are found only
//! the traces that may start at or after the last of them are read.

use super::field::field_value;
use super::needs::trace_needs;
use super::parts::span_parts;
use super::spansets::spansets;
use super::trace_view::TraceView;
use super::value::Value;
use super::{EvalError, Regexes, compile_regexes, top_fields, unless_cancelled, walk};
use crate::syntax::ast::{FieldExpr, Intrinsic, Query};
use parquetry_model::Cancel;
use parquetry_spans::{SpanId, SpanStore, TraceId};
use rayon::prelude::*;
use serde_json::{Value as Json, json};

/// What a search looks at and how much it returns.
#[derive(Clone, Copy, Debug)]
pub struct SearchParams {
    /// Traces with a span starting at or after this time (ns) are searched…
    pub start_ns: i64,
    /// …and before this one.
    pub end_ns: i64,
    /// Most traces returned (the newest).
    pub limit: usize,
    /// Most spans returned per spanset (`matched` counts them all).
    pub spans_per_spanset: usize,
}

impl SearchParams {
    /// Tempo's defaults: 20 traces, 3 spans per spanset.
    pub fn new(start_ns: i64, end_ns: i64) -> SearchParams {
        SearchParams {
            start_ns,
            end_ns,
            limit: 20,
            spans_per_spanset: 3,
        }
    }
}

/// One span of a spanset found.
#[derive(Clone, Debug, PartialEq)]
pub struct SpanMatch {
    /// Its id.
    pub span_id: SpanId,
    /// Its name.
    pub name: String,
    /// Its start, ns.
    pub start_ns: i64,
    /// Its duration, ns.
    pub duration_ns: i64,
    /// The fields the query names (conditions and `select`), by name, where the span has
    /// them.
    pub attributes: Vec<(String, Value<'static>)>,
}

/// One spanset found in a trace.
#[derive(Clone, Debug, PartialEq)]
pub struct SpansetMatch {
    /// Its first spans (at most the search's `spans_per_spanset`), in start order.
    pub spans: Vec<SpanMatch>,
    /// How many spans it has.
    pub matched: usize,
    /// The `by(…)` values that made it.
    pub attributes: Vec<(String, Value<'static>)>,
}

/// A trace the query found.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceMatch {
    /// Its id.
    pub trace_id: TraceId,
    /// The service of its root span, when the root span is stored.
    pub root_service: Option<String>,
    /// The name of its root span, when stored.
    pub root_name: Option<String>,
    /// Its earliest span start, ns.
    pub start_ns: i64,
    /// Its latest span end minus its earliest start, ns.
    pub duration_ns: i64,
    /// Its spansets.
    pub spansets: Vec<SpansetMatch>,
}

/// The answer to a search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResult {
    /// The traces found, newest first, at most the limit.
    pub traces: Vec<TraceMatch>,
    /// Traces evaluated.
    pub inspected_traces: u64,
    /// Spans evaluated.
    pub inspected_spans: u64,
}

/// Runs the search `q` over `store`.
pub fn search(store: &SpanStore, q: &Query, params: &SearchParams) -> Result<SearchResult, EvalError> {
    search_until(store, q, params, &Cancel::default())
}

/// [`search`], stopping with [`EvalError::Cancelled`] once `cancel` is cancelled.
pub fn search_until(
    store: &SpanStore,
    q: &Query,
    params: &SearchParams,
    cancel: &Cancel,
) -> Result<SearchResult, EvalError> {
    if q.metrics.is_some() {
        return Err(EvalError::Invalid(
            "a metrics query (rate(), …_over_time()) is a range query, not a search".into(),
        ));
    }
    let regexes = compile_regexes(q)?;
    let shown = shown_fields(q);
    let mut result = SearchResult::default();
    if params.limit == 0 {
        return Ok(result);
    }
    let needs = trace_needs(q, &regexes);
    let parts = span_parts(q);
    let mut found: Vec<TraceMatch> = Vec::new();
    let range = (params.start_ns, params.end_ns);
    let read = store.for_each_newest(range, &needs, &parts, params.limit, &mut |traces| {
        if cancel.is_cancelled() {
            return Err(parquetry_table::error::StoreError::Cancelled);
        }
        result.inspected_traces += traces.len() as u64;
        result.inspected_spans += traces.iter().map(|t| t.len() as u64).sum::<u64>();
        let matches: Vec<TraceMatch> = traces
            .into_par_iter()
            .filter_map(|spans| evaluate(q, TraceView::new(spans), &regexes, &shown, params))
            .collect();
        found.extend(matches);
        keep_newest(&mut found, params.limit);
        // Once `limit` traces are found, only a trace starting at or after the last of
        // them can still enter (at the same start, by a smaller trace id).
        Ok(match found.get(params.limit - 1) {
            Some(last) => last.start_ns,
            None => i64::MIN,
        })
    });
    unless_cancelled(cancel, read)?;
    result.traces = found;
    Ok(result)
}

fn keep_newest(found: &mut Vec<TraceMatch>, limit: usize) {
    found.sort_by(|a, b| b.start_ns.cmp(&a.start_ns).then(a.trace_id.cmp(&b.trace_id)));
    found.truncate(limit);
}

/// The fields shown with each span found: the attributes and intrinsics the query names,
/// but the name and duration every span shows anyway.
pub(super) fn shown_fields(q: &Query) -> Vec<(String, FieldExpr)> {
    let mut out: Vec<(String, FieldExpr)> = Vec::new();
    for f in top_fields(q) {
        walk(f, &mut |e| {
            let key = match e {
                FieldExpr::Attribute(a) => a.name.clone(),
                FieldExpr::Intrinsic(Intrinsic::Name | Intrinsic::Duration) => return,
                FieldExpr::Intrinsic(i) => i.as_str().to_string(),
                _ => return,
            };
            if !out.iter().any(|(_, seen)| seen == e) {
                out.push((key, e.clone()));
            }
        });
    }
    out
}

/// The match of `q` in trace `t`, if it has any spanset.
pub(super) fn evaluate(
    q: &Query,
    t: TraceView,
    regexes: &Regexes,
    shown: &[(String, FieldExpr)],
    params: &SearchParams,
) -> Option<TraceMatch> {
    let sets = spansets(&q.spansets, &t, regexes);
    if sets.is_empty() {
        return None;
    }
    let spansets = sets
        .into_iter()
        .map(|set| SpansetMatch {
            matched: set.spans.len(),
            spans: set
                .spans
                .iter()
                .take(params.spans_per_spanset)
                .map(|&i| {
                    let span = &t.spans[i];
                    SpanMatch {
                        span_id: span.span_id,
                        name: span.name.clone(),
                        start_ns: span.start,
                        duration_ns: span.duration(),
                        attributes: shown
                            .iter()
                            .filter_map(|(key, f)| {
                                let v = field_value(f, &t, i, regexes).into_owned();
                                (v != Value::Nil).then(|| (key.clone(), v))
                            })
                            .collect(),
                    }
                })
                .collect(),
            attributes: set.group,
        })
        .collect();
    Some(TraceMatch {
        trace_id: t.spans[0].trace_id,
        root_service: t.root_service().map(str::to_string),
        root_name: t.root_name().map(str::to_string),
        start_ns: t.start,
        duration_ns: t.duration(),
        spansets,
    })
}

/// A value as an OTLP/JSON AnyValue, as Tempo returns attributes.
pub fn value_json(v: &Value<'_>) -> Json {
    match v {
        Value::Nil => json!({}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Int(n) => json!({"intValue": n.to_string()}),
        Value::Float(x) => json!({"doubleValue": x}),
        Value::Many(items) => {
            json!({"arrayValue": {"values": items.iter().map(value_json).collect::<Vec<_>>()}})
        }
        other => json!({"stringValue": other.to_text()}),
    }
}

fn attributes_json(attributes: &[(String, Value<'static>)]) -> Json {
    Json::Array(
        attributes
            .iter()
            .map(|(k, v)| json!({"key": k, "value": value_json(v)}))
            .collect(),
    )
}

/// Placeholders Tempo shows for a trace whose root span was not stored.
const NO_ROOT: &str = "<root span not yet received>";

impl SearchResult {
    /// The result as Tempo's search response: `traces[]` with `traceID`,
    /// `rootServiceName`, `rootTraceName`, `startTimeUnixNano`, `durationMs`, `spanSet`
    /// (the first spanset) and `spanSets`, then `metrics`.
    pub fn to_tempo_json(&self) -> Json {
        let traces: Vec<Json> = self
            .traces
            .iter()
            .map(|t| {
                let sets: Vec<Json> = t
                    .spansets
                    .iter()
                    .map(|s| {
                        let spans: Vec<Json> = s
                            .spans
                            .iter()
                            .map(|span| {
                                json!({
                                    "spanID": span.span_id.to_string(),
                                    "name": span.name,
                                    "startTimeUnixNano": span.start_ns.to_string(),
                                    "durationNanos": span.duration_ns.to_string(),
                                    "attributes": attributes_json(&span.attributes),
                                })
                            })
                            .collect();
                        json!({
                            "spans": spans,
                            "matched": s.matched,
                            "attributes": attributes_json(&s.attributes),
                        })
                    })
                    .collect();
                let mut trace = json!({
                    "traceID": t.trace_id.to_string(),
                    "rootServiceName": t.root_service.as_deref().unwrap_or(NO_ROOT),
                    "rootTraceName": t.root_name.as_deref().unwrap_or(NO_ROOT),
                    "startTimeUnixNano": t.start_ns.to_string(),
                    "durationMs": t.duration_ns / 1_000_000,
                });
                if let Some(first) = sets.first() {
                    trace["spanSet"] = first.clone();
                }
                trace["spanSets"] = Json::Array(sets);
                trace
            })
            .collect();
        json!({
            "traces": traces,
            "metrics": {
                "inspectedTraces": self.inspected_traces,
                "inspectedSpans": self.inspected_spans.to_string(),
                "completedJobs": 1,
                "totalJobs": 1,
            }
        })
    }
}
