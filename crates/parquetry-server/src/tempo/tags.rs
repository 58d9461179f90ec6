//! `/api/search/tags`, `/api/v2/search/tags`, `/api/search/tag/<tag>/values` and
//! `/api/v2/search/tag/<tag>/values`: the attribute names and values of the spans that
//! start in `[start, end)`, which default to the hour before the newest stored span.

use super::{TempoError, json, optional_time, tempo_errors};
use crate::api_error::ApiError;
use crate::params::Params;
use crate::query_run::run_query;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use parquetry::Engine;
use parquetry::spans::promoted::AttributeScope;
use parquetry::spans::{AnyValue, Attribute, Span, SpanParts};
use std::collections::BTreeSet;
use std::sync::Arc;

const HOUR_NS: i64 = 3_600_000_000_000;

/// The intrinsics TraceQL knows, as Tempo lists them under the `intrinsic` scope.
const INTRINSICS: [&str; 10] = [
    "duration",
    "kind",
    "name",
    "rootName",
    "rootServiceName",
    "status",
    "statusMessage",
    "traceDuration",
    "event:name",
    "link:traceID",
];

/// The request's `start` and `end`, when given (see [`for_each_span`] for the defaults).
fn window(params: &Params) -> Result<(Option<i64>, Option<i64>), ApiError> {
    Ok((optional_time(params, "start")?, optional_time(params, "end")?))
}

/// Calls `each` with every span starting in the window, decoded with `parts`. The
/// window ends at `end`, or just after the newest stored span; it starts at `start`, or
/// an hour before its end.
fn for_each_span(
    engine: &Engine,
    (start, end): (Option<i64>, Option<i64>),
    parts: &SpanParts,
    each: &mut dyn FnMut(&Span),
) -> Result<(), parquetry::Error> {
    let spans = engine.spans();
    let Some((_, stored_end)) = spans.time_range_ns() else {
        return Ok(());
    };
    let end = end.unwrap_or(stored_end);
    let start = start.unwrap_or(end - HOUR_NS);
    spans.for_each_group((start, end), parts, &mut |group| {
        group.iter().for_each(&mut *each);
        Ok(())
    })?;
    Ok(())
}

/// The attributes of `span` in `scope`.
fn attributes(span: &Span, scope: AttributeScope) -> &[Attribute] {
    match scope {
        AttributeScope::Span => &span.attributes,
        AttributeScope::Resource => &span.resource.attributes,
    }
}

/// The attribute names of each scope, sorted: (resource, span).
async fn names(state: &Arc<AppState>, params: &Params) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let range = window(params)?;
    run_query(state, None, tempo_errors, move |engine, _| {
        let parts = SpanParts::core()
            .with_all_attributes(AttributeScope::Span)
            .with_all_attributes(AttributeScope::Resource);
        let (mut resource, mut span) = (BTreeSet::new(), BTreeSet::new());
        for_each_span(engine, range, &parts, &mut |s| {
            for a in &s.resource.attributes {
                if !resource.contains(&a.key) {
                    resource.insert(a.key.clone());
                }
            }
            for a in &s.attributes {
                if !span.contains(&a.key) {
                    span.insert(a.key.clone());
                }
            }
        })?;
        Ok((resource.into_iter().collect(), span.into_iter().collect()))
    })
    .await
}

/// `{"tagNames":[…]}`: the attribute names of both scopes.
pub async fn names_v1(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, TempoError> {
    let (resource, span) = names(&state, &params).await?;
    let all: BTreeSet<String> = resource.into_iter().chain(span).collect();
    Ok(json(serde_json::json!({ "tagNames": all })))
}

/// `{"scopes":[{"name":…,"tags":[…]},…]}` for `scope` (`resource`, `span`,
/// `intrinsic`), or for all three when it is absent.
pub async fn names_v2(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, TempoError> {
    let wanted = params.value("scope").to_string();
    if !matches!(wanted.as_str(), "" | "all" | "resource" | "span" | "intrinsic") {
        return Err(ApiError::bad_data(format!(
            "invalid scope {wanted:?}: expected resource, span or intrinsic"
        ))
        .into());
    }
    let (resource, span) = if matches!(wanted.as_str(), "intrinsic") {
        (Vec::new(), Vec::new())
    } else {
        names(&state, &params).await?
    };
    let intrinsic: Vec<String> = INTRINSICS.iter().map(|s| s.to_string()).collect();
    let scopes: Vec<serde_json::Value> = [("resource", resource), ("span", span), ("intrinsic", intrinsic)]
        .into_iter()
        .filter(|(name, _)| matches!(wanted.as_str(), "" | "all") || wanted == *name)
        .map(|(name, tags)| serde_json::json!({ "name": name, "tags": tags }))
        .collect();
    Ok(json(serde_json::json!({ "scopes": scopes })))
}

/// What a tag names: an intrinsic, or an attribute of one scope or of either.
#[derive(Clone, Debug, PartialEq)]
enum Tag {
    Name,
    Status,
    Kind,
    StatusMessage,
    Attribute(Option<AttributeScope>, String),
}

impl Tag {
    /// A v2 tag: `resource.x`, `span.x`, `.x`, or an intrinsic.
    fn scoped(text: &str) -> Tag {
        match text {
            "name" | "span:name" => Tag::Name,
            "status" | "span:status" => Tag::Status,
            "kind" | "span:kind" => Tag::Kind,
            "statusMessage" | "span:statusMessage" => Tag::StatusMessage,
            _ => {
                if let Some(key) = text.strip_prefix("resource.") {
                    Tag::Attribute(Some(AttributeScope::Resource), key.to_string())
                } else if let Some(key) = text.strip_prefix("span.") {
                    Tag::Attribute(Some(AttributeScope::Span), key.to_string())
                } else {
                    Tag::Attribute(None, text.strip_prefix('.').unwrap_or(text).to_string())
                }
            }
        }
    }

    /// The parts of a span that hold the tag.
    fn parts(&self) -> SpanParts {
        match self {
            Tag::Attribute(scope, key) => {
                let scopes = match scope {
                    Some(scope) => vec![*scope],
                    None => vec![AttributeScope::Span, AttributeScope::Resource],
                };
                scopes
                    .into_iter()
                    .fold(SpanParts::core(), |parts, scope| parts.with_attribute(scope, key))
            }
            _ => SpanParts::core(),
        }
    }

    /// The tag's values in `span`, each with Tempo's type name.
    fn values(&self, span: &Span, out: &mut BTreeSet<(&'static str, String)>) {
        match self {
            Tag::Name => {
                out.insert(("string", span.name.clone()));
            }
            Tag::Status => {
                out.insert(("keyword", span.status_code.name().to_string()));
            }
            Tag::Kind => {
                out.insert(("keyword", span.kind.name().to_string()));
            }
            Tag::StatusMessage => {
                if !span.status_message.is_empty() {
                    out.insert(("string", span.status_message.clone()));
                }
            }
            Tag::Attribute(scope, key) => {
                let scopes = match scope {
                    Some(scope) => vec![*scope],
                    None => vec![AttributeScope::Span, AttributeScope::Resource],
                };
                for scope in scopes {
                    for a in attributes(span, scope).iter().filter(|a| &a.key == key) {
                        if let Some(typed) = typed(&a.value) {
                            out.insert(typed);
                        }
                    }
                }
            }
        }
    }
}

/// An attribute value as Tempo lists it: its type name and its text.
fn typed(value: &AnyValue) -> Option<(&'static str, String)> {
    match value {
        AnyValue::String(s) => Some(("string", s.clone())),
        AnyValue::Int(n) => Some(("int", n.to_string())),
        AnyValue::Double(x) => Some(("float", x.to_string())),
        AnyValue::Bool(b) => Some(("bool", b.to_string())),
        _ => None,
    }
}

/// The typed values of `tag` in the window, sorted.
async fn values(
    state: &Arc<AppState>,
    params: &Params,
    tag: Tag,
) -> Result<Vec<(&'static str, String)>, ApiError> {
    let range = window(params)?;
    run_query(state, None, tempo_errors, move |engine, _| {
        let mut found = BTreeSet::new();
        for_each_span(engine, range, &tag.parts(), &mut |s| tag.values(s, &mut found))?;
        Ok(found.into_iter().collect())
    })
    .await
}

/// `{"tagValues":["…",…]}`: the values of the attribute `tag` in either scope.
pub async fn values_v1(
    State(state): State<Arc<AppState>>,
    Path(tag): Path<String>,
    params: Params,
) -> Result<Response, TempoError> {
    let found = values(&state, &params, Tag::Attribute(None, tag)).await?;
    let texts: BTreeSet<String> = found.into_iter().map(|(_, v)| v).collect();
    Ok(json(serde_json::json!({ "tagValues": texts })))
}

/// `{"tagValues":[{"type":…,"value":…},…]}`: the values of the scoped attribute or
/// intrinsic `tag`.
pub async fn values_v2(
    State(state): State<Arc<AppState>>,
    Path(tag): Path<String>,
    params: Params,
) -> Result<Response, TempoError> {
    let found = values(&state, &params, Tag::scoped(&tag)).await?;
    let list: Vec<serde_json::Value> = found
        .into_iter()
        .map(|(kind, value)| serde_json::json!({ "type": kind, "value": value }))
        .collect();
    Ok(json(serde_json::json!({ "tagValues": list })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_name_scopes_and_intrinsics() {
        assert_eq!(Tag::scoped("status"), Tag::Status);
        assert_eq!(
            Tag::scoped("resource.service.name"),
            Tag::Attribute(Some(AttributeScope::Resource), "service.name".into())
        );
        assert_eq!(
            Tag::scoped("span.http.route"),
            Tag::Attribute(Some(AttributeScope::Span), "http.route".into())
        );
        assert_eq!(Tag::scoped(".x"), Tag::Attribute(None, "x".into()));
    }
}
