//! Which filters of a query the store can apply itself: time ranges, metric names and
//! label equality become the selection's time range and matchers, so a narrow query reads
//! only the rows of the series and days it needs; for logs, substrings of `line`
//! (`contains`, `LIKE '%x%'`, `strpos(…) > 0`) and `trace_id = …` let the store skip row
//! groups whose filters rule them out.

use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::scalar::ScalarValue;
use parquetry_model::{METRIC_NAME, MatchOp, Matcher};

/// What the store can narrow a scan to.
#[derive(Clone, Debug, Default)]
pub struct Narrowing {
    /// Series matchers (all must hold).
    pub matchers: Vec<Matcher>,
    /// Earliest timestamp wanted, ms.
    pub min_time: Option<i64>,
    /// Latest timestamp wanted, ms.
    pub max_time: Option<i64>,
    /// Substrings the `line` column must contain.
    pub line_contains: Vec<String>,
    /// The value the `trace_id` column must equal.
    pub trace_id: Option<String>,
}

pub(crate) fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Column(c) => Some(c.name.as_str()),
        Expr::Cast(c) => column_name(&c.expr),
        _ => None,
    }
}

pub(crate) fn string_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s.clone()),
        Expr::Literal(ScalarValue::Dictionary(_, inner), m) => {
            string_literal(&Expr::Literal((**inner).clone(), m.clone()))
        }
        _ => None,
    }
}

/// A timestamp literal in milliseconds, and whether it falls exactly on a millisecond.
pub(crate) fn time_literal(e: &Expr) -> Option<(i64, bool)> {
    let Expr::Literal(v, _) = e else { return None };
    let (value, per_ms) = match v {
        ScalarValue::TimestampSecond(Some(s), _) => return Some((s.checked_mul(1000)?, true)),
        ScalarValue::TimestampMillisecond(Some(ms), _) => return Some((*ms, true)),
        ScalarValue::TimestampMicrosecond(Some(us), _) => (*us, 1_000),
        ScalarValue::TimestampNanosecond(Some(ns), _) => (*ns, 1_000_000),
        _ => return None,
    };
    Some((value.div_euclid(per_ms), value.rem_euclid(per_ms) == 0))
}

/// `f(line, 'literal')` for the function `name`: the literal.
fn line_function(e: &Expr, name: &str) -> Option<String> {
    let Expr::ScalarFunction(f) = e else { return None };
    match f.args.as_slice() {
        [col, needle] if f.name() == name && column_name(col) == Some("line") => string_literal(needle),
        _ => None,
    }
}

/// The literal pieces of a LIKE pattern (between `%` and `_` wildcards) that every
/// matching value contains; `None` when the pattern uses escapes.
fn like_pieces(pattern: &str) -> Option<Vec<String>> {
    if pattern.contains('\\') {
        return None;
    }
    Some(
        pattern
            .split(['%', '_'])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

fn is_zero(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Literal(ScalarValue::Int64(Some(0)) | ScalarValue::Int32(Some(0)), _)
    )
}

/// `labels['name']` as planned: `get_field(labels, 'name')`.
fn label_access(e: &Expr) -> Option<String> {
    let Expr::ScalarFunction(f) = e else { return None };
    if f.name() != "get_field" {
        return None;
    }
    match f.args.as_slice() {
        [col, key] if column_name(col) == Some("labels") => string_literal(key),
        _ => None,
    }
}

pub(crate) fn flip(op: Operator) -> Operator {
    match op {
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        other => other,
    }
}

/// Narrows the millisecond range `[min_time, max_time]` by `time op bound`, the bound
/// being a time in ms and whether it falls exactly on a millisecond; false for an
/// operator that gives no range.
pub(crate) fn narrow_time(
    min_time: &mut Option<i64>,
    max_time: &mut Option<i64>,
    op: Operator,
    (ms, exact): (i64, bool),
) -> bool {
    let lower = |min: &mut Option<i64>, t: i64| *min = Some(min.map_or(t, |m| m.max(t)));
    let upper = |max: &mut Option<i64>, t: i64| *max = Some(max.map_or(t, |m| m.min(t)));
    match op {
        // A bound off the millisecond lies above `ms`, so `t > bound` starts at `ms + 1` too.
        Operator::Gt => lower(min_time, ms.saturating_add(1)),
        Operator::GtEq => lower(min_time, if exact { ms } else { ms + 1 }),
        Operator::Lt => upper(max_time, if exact { ms - 1 } else { ms }),
        Operator::LtEq => upper(max_time, ms),
        Operator::Eq => {
            lower(min_time, ms);
            upper(max_time, ms);
        }
        _ => return false,
    }
    true
}

/// Which of `filters` a table's store can narrow a scan by, `absorbs` saying whether it
/// can take one filter and `exact` whether it then applies it exactly: exact ones
/// DataFusion leaves to the store, inexact ones it still checks row by row, and the rest
/// are unsupported.
pub fn filter_support(
    filters: &[&Expr],
    absorbs: impl Fn(&Expr) -> bool,
    exact: impl Fn(&Expr) -> bool,
) -> Vec<TableProviderFilterPushDown> {
    filters
        .iter()
        .map(|f| {
            if exact(f) {
                TableProviderFilterPushDown::Exact
            } else if absorbs(f) {
                TableProviderFilterPushDown::Inexact
            } else {
                TableProviderFilterPushDown::Unsupported
            }
        })
        .collect()
}

/// Whether the store applies `filter` to the `samples` table exactly, so DataFusion need
/// not check its rows again: a conjunction of bounds on `timestamp` by literals that fall
/// on a millisecond, `metric` compared (`=`, `!=`, `IN`) with strings, and
/// `labels['name'] = 'value'` with a value that is not empty (`''` holds for no row, while
/// the matcher `name=""` selects the series without the label).
pub fn samples_filter_is_exact(filter: &Expr) -> bool {
    let plain = |e: &Expr, name: &str| matches!(e, Expr::Column(c) if c.name == name);
    let on_label = |e: &Expr| {
        label_access(e).is_some()
            && matches!(e, Expr::ScalarFunction(f) if matches!(f.args.first(), Some(Expr::Column(_))))
    };
    let exact_time = |e: &Expr| time_literal(e).is_some_and(|(_, on_ms)| on_ms);
    let absorbed = || Narrowing::default().absorb(filter);
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => samples_filter_is_exact(left) && samples_filter_is_exact(right),
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (col, lit) = if matches!(**left, Expr::Literal(..)) {
                (right, left)
            } else {
                (left, right)
            };
            let fits = if plain(col, "timestamp") {
                exact_time(lit)
            } else if plain(col, "metric") {
                string_literal(lit).is_some()
            } else {
                on_label(col) && *op == Operator::Eq && string_literal(lit).is_some_and(|v| !v.is_empty())
            };
            fits && absorbed()
        }
        Expr::Between(b) => {
            plain(&b.expr, "timestamp") && exact_time(&b.low) && exact_time(&b.high) && absorbed()
        }
        Expr::InList(list) => plain(&list.expr, "metric") && absorbed(),
        _ => false,
    }
}

impl Narrowing {
    /// What the store can take from all of a scan's `filters`.
    pub fn of(filters: &[Expr]) -> Narrowing {
        let mut narrowing = Narrowing::default();
        for f in filters {
            narrowing.absorb(f);
        }
        narrowing
    }

    fn time_bound(&mut self, op: Operator, bound: (i64, bool)) -> bool {
        narrow_time(&mut self.min_time, &mut self.max_time, op, bound)
    }

    /// Takes what it can from one conjunct of the WHERE clause; true when the store can
    /// apply it (the query still re-checks every row).
    pub fn absorb(&mut self, filter: &Expr) -> bool {
        match filter {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                if *op == Operator::And {
                    let a = self.absorb(left);
                    let b = self.absorb(right);
                    return a && b;
                }
                // strpos(line, 'x') > 0 (or 0 < strpos(…), or != 0)
                for (f, lit, op) in [(left, right, *op), (right, left, flip(*op))] {
                    if let Some(needle) = line_function(f, "strpos").or_else(|| line_function(f, "instr"))
                        && is_zero(lit)
                        && matches!(op, Operator::Gt | Operator::NotEq)
                    {
                        self.line_contains.push(needle);
                        return true;
                    }
                }
                let (col, lit, op) = if column_name(left).is_some() || label_access(left).is_some() {
                    (left.as_ref(), right.as_ref(), *op)
                } else {
                    (right.as_ref(), left.as_ref(), flip(*op))
                };
                if column_name(col) == Some("timestamp") {
                    return time_literal(lit).is_some_and(|t| self.time_bound(op, t));
                }
                if column_name(col) == Some("trace_id") && op == Operator::Eq {
                    let Some(id) = string_literal(lit) else {
                        return false;
                    };
                    self.trace_id = Some(id);
                    return true;
                }
                let name = match (column_name(col), label_access(col)) {
                    (Some("metric"), _) => METRIC_NAME.to_string(),
                    (_, Some(label)) => label,
                    _ => return false,
                };
                let (Some(value), Operator::Eq | Operator::NotEq) = (string_literal(lit), op) else {
                    return false;
                };
                let match_op = if op == Operator::Eq {
                    MatchOp::Equal
                } else {
                    MatchOp::NotEqual
                };
                // `labels['x'] != 'v'` is null (not true) where the label is absent, unlike `!=`.
                if match_op == MatchOp::NotEqual && name != METRIC_NAME {
                    return false;
                }
                match Matcher::new(match_op, name, value) {
                    Ok(m) => {
                        self.matchers.push(m);
                        true
                    }
                    Err(_) => false,
                }
            }
            Expr::Between(Between {
                expr,
                negated: false,
                low,
                high,
            }) if column_name(expr) == Some("timestamp") => match (time_literal(low), time_literal(high)) {
                (Some(l), Some(h)) => {
                    self.time_bound(Operator::GtEq, l) && self.time_bound(Operator::LtEq, h)
                }
                _ => false,
            },
            Expr::ScalarFunction(_) => match line_function(filter, "contains") {
                Some(needle) => {
                    self.line_contains.push(needle);
                    true
                }
                None => false,
            },
            Expr::Like(like)
                if !like.negated
                    && !like.case_insensitive
                    && like.escape_char.is_none()
                    && column_name(&like.expr) == Some("line") =>
            {
                match string_literal(&like.pattern).as_deref().and_then(like_pieces) {
                    Some(pieces) => {
                        self.line_contains.extend(pieces);
                        true
                    }
                    None => false,
                }
            }
            Expr::InList(list) if !list.negated && column_name(&list.expr) == Some("metric") => {
                let names: Option<Vec<String>> = list.list.iter().map(string_literal).collect();
                let Some(names) = names else { return false };
                let alternatives: Vec<String> = names.iter().map(|n| regex_escape(n)).collect();
                match Matcher::new(MatchOp::RegexMatch, METRIC_NAME, alternatives.join("|")) {
                    Ok(m) => {
                        self.matchers.push(m);
                        true
                    }
                    Err(_) => false,
                }
            }
            _ => false,
        }
    }
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
