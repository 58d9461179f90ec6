//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`: the series
//! that `match[]` selectors choose among those with samples in `[start, end]`.

use super::{label_objects, success};
use crate::api_error::{ApiError, ErrorType, parse_message};
use crate::label_lists;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use parquetry::Engine;
use parquetry::model::Labels;
use parquetry::promql::parse_selector;
use parquetry::promql::syntax::selector::SeriesMatchers;
use std::sync::Arc;

/// The warning Prometheus gives when `limit` cut a list short.
const TRUNCATED: &str = "results truncated due to limit";

/// What the three endpoints read from a request.
struct Selection {
    selectors: Vec<SeriesMatchers>,
    start: i64,
    end: i64,
    limit: Option<usize>,
}

impl Selection {
    fn read(params: &Params) -> Result<Selection, ApiError> {
        let start = params.time_or("start", i64::MIN)?;
        let end = params.time_or("end", i64::MAX)?;
        let selectors = params
            .all("match[]")
            .into_iter()
            .map(|text| {
                parse_selector(text).map_err(|e| ApiError::invalid_param("match[]", parse_message(&e)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let limit = params.limit()?;
        Ok(Selection {
            selectors,
            start,
            end,
            limit,
        })
    }

    /// The label sets of the series chosen (every series with samples in the range when
    /// there is no selector), sorted, each once.
    fn label_sets(&self, engine: &Engine) -> Result<Vec<Arc<Labels>>, ApiError> {
        let store = engine.store();
        let internal = |e: parquetry::store::StoreError| ApiError::new(ErrorType::Internal, e.to_string());
        let mut found: Vec<Arc<Labels>> = Vec::new();
        if self.selectors.is_empty() {
            let all = store.select_all(self.start, self.end).map_err(internal)?;
            found.extend(all.series().iter().map(|s| s.labels.clone()));
        }
        for selector in &self.selectors {
            let chosen = store
                .select(&selector.matchers, self.start, self.end)
                .map_err(internal)?;
            found.extend(chosen.series().iter().map(|s| s.labels.clone()));
        }
        found.sort();
        found.dedup();
        Ok(found)
    }
}

/// Cuts `items` to the request's limit, saying so in the warnings.
fn limited<T>(mut items: Vec<T>, limit: Option<usize>) -> (Vec<T>, Vec<String>) {
    match limit {
        Some(n) if items.len() > n => {
            items.truncate(n);
            (items, vec![TRUNCATED.to_string()])
        }
        _ => (items, Vec::new()),
    }
}

/// The series `match[]` (at least one) selects: a list of label objects.
pub async fn series(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    if params.all("match[]").is_empty() {
        return Err(ApiError::bad_data("no match[] parameter provided"));
    }
    let selection = Selection::read(&params)?;
    state
        .with_latest(move |engine| {
            let (sets, warnings) = limited(selection.label_sets(&engine)?, selection.limit);
            Ok(success(label_objects(&sets), &warnings))
        })
        .await
}

/// The label names of the chosen series, sorted.
pub async fn names(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let selection = Selection::read(&params)?;
    state
        .with_latest(move |engine| {
            let names = label_lists::names(&selection.label_sets(&engine)?);
            let (names, warnings) = limited(names.into_iter().collect(), selection.limit);
            Ok(success(names.into(), &warnings))
        })
        .await
}

/// The values label `name` takes in the chosen series, sorted. `name` may be written
/// in Prometheus' `U__` escaping for names outside `[a-zA-Z_][a-zA-Z0-9_]*`.
pub async fn values(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let name = unescape_label_name(&name);
    if name.is_empty() {
        return Err(ApiError::bad_data(format!("invalid label name: {name:?}")));
    }
    let selection = Selection::read(&params)?;
    state
        .with_latest(move |engine| {
            let values = label_lists::values(&selection.label_sets(&engine)?, &name);
            let (values, warnings) = limited(values.into_iter().collect(), selection.limit);
            Ok(success(values.into(), &warnings))
        })
        .await
}

/// Undoes Prometheus' `U__` value-encoding escaping of a label name: after the prefix,
/// `__` is `_` and `_<hex>_` is the character with that code point. A name without the
/// prefix, or not validly escaped, is returned as it is.
pub fn unescape_label_name(name: &str) -> String {
    let Some(escaped) = name.strip_prefix("U__") else {
        return name.to_string();
    };
    let mut out = String::new();
    let mut rest = escaped;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("__") {
            out.push('_');
            rest = after;
        } else if let Some(after) = rest.strip_prefix('_') {
            let Some(end) = after.find('_') else {
                return name.to_string();
            };
            let Some(decoded) = u32::from_str_radix(&after[..end], 16)
                .ok()
                .and_then(char::from_u32)
            else {
                return name.to_string();
            };
            out.push(decoded);
            rest = &after[end + 1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unescape_label_name;

    #[test]
    fn escaped_names_are_decoded_and_others_kept() {
        assert_eq!(unescape_label_name("job"), "job");
        assert_eq!(unescape_label_name("U__http_2e_method"), "http.method");
        assert_eq!(unescape_label_name("U__a__b"), "a_b");
        assert_eq!(unescape_label_name("U__caf_e9_"), "café");
        assert_eq!(unescape_label_name("U__bad_zz_"), "U__bad_zz_");
        assert_eq!(unescape_label_name("U__open_2e"), "U__open_2e");
    }
}
