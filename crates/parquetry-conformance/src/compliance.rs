//! The PromQL compliance tester's query list, expanded as the tester expands it.

use crate::conformance_dir;
use serde::Deserialize;

#[derive(Deserialize)]
struct QueryFile {
    test_cases: Vec<TestCase>,
}

#[derive(Deserialize)]
struct TestCase {
    query: String,
    #[serde(default)]
    variant_args: Vec<String>,
    #[serde(default)]
    should_fail: bool,
}

/// One expanded compliance query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplianceQuery {
    /// The query text.
    pub query: String,
    /// Both engines must fail on it.
    pub should_fail: bool,
}

/// The tester's built-in values for a template placeholder.
pub fn variants(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "range" => &["1s", "15s", "1m", "5m", "15m", "1h"],
        "offset" => &["1m", "5m", "10m"],
        "simpleAggrOp" => &["sum", "avg", "max", "min", "count", "stddev", "stdvar"],
        "simpleTimeAggrOp" => &[
            "sum", "avg", "max", "min", "count", "stddev", "stdvar", "absent", "last",
        ],
        "topBottomOp" => &["topk", "bottomk"],
        "quantile" => &["-0.5", "0.1", "0.5", "0.75", "0.95", "0.90", "0.99", "1", "1.5"],
        "arithBinOp" => &["+", "-", "*", "/", "%", "^"],
        "compBinOp" => &["==", "!=", "<", ">", "<=", ">="],
        "binOp" => &["+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="],
        "simpleMathFunc" => &[
            "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "round",
        ],
        "extrapolatedRateFunc" => &["delta", "rate", "increase"],
        "instantRateFunc" => &["idelta", "irate"],
        "clampFunc" => &["clamp_min", "clamp_max"],
        "dateFunc" => &[
            "day_of_month",
            "day_of_week",
            "days_in_month",
            "hour",
            "minute",
            "month",
            "year",
        ],
        _ => return None,
    })
}

/// Expands a template over the cross product of its placeholders' values.
pub fn expand(template: &str, args: &[String]) -> Result<Vec<String>, String> {
    let mut out = vec![template.to_string()];
    for arg in args {
        let values = variants(arg).ok_or_else(|| format!("unknown placeholder {arg:?}"))?;
        let placeholder = format!("{{{{.{arg}}}}}");
        out = out
            .iter()
            .flat_map(|q| values.iter().map(|v| q.replace(&placeholder, v)))
            .collect();
    }
    Ok(out)
}

/// All expanded queries of `promql-compliance/promql-test-queries.yml`, in file order.
pub fn queries() -> Result<Vec<ComplianceQuery>, String> {
    let path = conformance_dir()?.join("promql-compliance/promql-test-queries.yml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: QueryFile = serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for case in file.test_cases {
        for query in expand(&case.query, &case.variant_args)? {
            out.push(ComplianceQuery {
                query,
                should_fail: case.should_fail,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_to_the_cross_product() {
        let q = expand("{{.a}}", &[]).unwrap();
        assert_eq!(q, vec!["{{.a}}"]);
        let q = expand(
            "x[{{.range}}] offset {{.offset}}",
            &["range".into(), "offset".into()],
        )
        .unwrap();
        assert_eq!(q.len(), 18);
        assert_eq!(q[0], "x[1s] offset 1m");
        assert!(expand("{{.nope}}", &["nope".into()]).is_err());
    }
}
