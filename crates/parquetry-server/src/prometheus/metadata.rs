//! `/api/v1/metadata`: the type, help and unit each metric family declared when it was
//! ingested (OpenMetrics and Prometheus text) or remote-written.

use super::json_body;
use crate::api_error::ApiError;
use crate::params::Params;
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use parquetry::model::MetricMetadata;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The families' declarations as Prometheus lists them: an object keyed by family name,
/// each a list of distinct `{"type","help","unit"}`, newest first. `metric` chooses one
/// family; `limit` (negative: no limit) caps the families, `limit_per_metric` (zero or
/// negative: no limit) the declarations of each.
pub async fn metadata(State(state): State<Arc<AppState>>, params: Params) -> Result<Response, ApiError> {
    let limit = number(&params, "limit")?;
    let per_metric = number(&params, "limit_per_metric")?;
    let metric = params.value("metric").to_string();
    let engine = state.engine().await?;
    let declared = engine.store().manifest().metric_metadata();
    let chosen = declared
        .iter()
        .filter(|m| metric.is_empty() || m.metric == metric);
    let answer = by_family(chosen, limit, per_metric);
    let data = serde_json::to_string(&answer).expect("strings and lists serialize");
    Ok(json_body(format!(r#"{{"status":"success","data":{data}}}"#)))
}

/// A whole-number parameter, absent as -1, refused as Prometheus refuses it.
fn number(params: &Params, name: &str) -> Result<i64, ApiError> {
    match params.get(name).filter(|v| !v.is_empty()) {
        None => Ok(-1),
        Some(text) => text
            .parse()
            .map_err(|_| ApiError::bad_data(format!("{name} must be a number"))),
    }
}

/// One declaration as Prometheus writes it, fields in its order.
#[derive(serde::Serialize)]
struct Declared<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    help: &'a str,
    unit: &'a str,
}

/// Groups declarations by family (in name order) within the limits.
fn by_family<'a>(
    declared: impl Iterator<Item = &'a MetricMetadata>,
    limit: i64,
    per_metric: i64,
) -> BTreeMap<&'a str, Vec<Declared<'a>>> {
    let mut families: BTreeMap<&str, Vec<Declared>> = BTreeMap::new();
    for m in declared {
        let entries = families.entry(m.metric.as_str()).or_default();
        if per_metric > 0 && entries.len() as i64 >= per_metric {
            continue;
        }
        entries.push(Declared {
            kind: m.kind.as_str(),
            help: &m.help,
            unit: &m.unit,
        });
    }
    if limit >= 0 {
        let kept = limit as usize;
        while families.len() > kept {
            families.pop_last();
        }
    }
    families
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry::model::MetricType;

    fn declared(metric: &str, kind: MetricType, help: &str) -> MetricMetadata {
        MetricMetadata {
            metric: metric.into(),
            kind,
            help: help.into(),
            unit: String::new(),
        }
    }

    #[test]
    fn families_group_and_limits_cut_families_and_entries() {
        let all = [
            declared("up", MetricType::Gauge, "Up."),
            declared("req", MetricType::Counter, "New help."),
            declared("req", MetricType::Counter, "Old help."),
        ];
        let json =
            |limit, per_metric| serde_json::to_string(&by_family(all.iter(), limit, per_metric)).unwrap();
        assert_eq!(
            json(-1, -1),
            r#"{"req":[{"type":"counter","help":"New help.","unit":""},{"type":"counter","help":"Old help.","unit":""}],"up":[{"type":"gauge","help":"Up.","unit":""}]}"#
        );
        assert_eq!(
            json(1, -1),
            r#"{"req":[{"type":"counter","help":"New help.","unit":""},{"type":"counter","help":"Old help.","unit":""}]}"#
        );
        assert_eq!(json(0, -1), "{}");
        assert_eq!(
            json(-1, 1),
            r#"{"req":[{"type":"counter","help":"New help.","unit":""}],"up":[{"type":"gauge","help":"Up.","unit":""}]}"#
        );
    }
}
