//! Canonical PromQL text, in the style of `promtool promql format` on one line.
//!
//! Parentheses come only from `Paren` nodes, exactly as the parser records them, so a
//! tree the parser produced prints to text that parses back to an equal tree.

use super::ast::*;
use parquetry_model::Matcher;
use parquetry_model::labels::{is_legacy_label_name, is_legacy_metric_name};
use parquetry_model::time::format_duration;
use std::fmt::{self, Display, Write};

impl Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.write_to(f))
    }
}

impl Expr {
    fn write_to(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number { value, duration, .. } => write_number(f, value.0, *duration),
            Expr::String { value, .. } => write_go_quoted(f, value),
            Expr::VectorSelector(v) => {
                write_selector(f, v)?;
                write_modifiers(f, v.mode, &v.modifiers)
            }
            Expr::MatrixSelector(m) => {
                write_selector(f, &m.selector)?;
                write!(f, "[{}]", DurationText(&m.range))?;
                write_modifiers(f, m.selector.mode, &m.selector.modifiers)
            }
            Expr::Subquery(s) => write!(f, "{}{}", s.expr, SubqueryTail(s)),
            Expr::Paren { expr, .. } => write!(f, "({expr})"),
            Expr::Unary { negate, expr, .. } => write!(f, "{}{expr}", if *negate { "-" } else { "+" }),
            Expr::Binary(b) => write_binary(f, b),
            Expr::Aggregate(a) => write_aggregate(f, a),
            Expr::Call(c) => {
                write!(f, "{}(", c.func.name)?;
                write_list(f, c.args.iter())?;
                f.write_char(')')
            }
        }
    }
}

impl Display for DurationExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationExpr::Literal { ms, as_number, .. } => {
                if *as_number {
                    write!(f, "{}", *ms as f64 / 1000.0)
                } else {
                    f.write_str(&format_duration(*ms))
                }
            }
            DurationExpr::Step(_) => f.write_str("step()"),
            DurationExpr::Range(_) => f.write_str("range()"),
            DurationExpr::Paren(d, _) => write!(f, "({d})"),
            DurationExpr::Unary { negate, expr, .. } => {
                write!(f, "{}{expr}", if *negate { "-" } else { "+" })
            }
            DurationExpr::Binary { op, lhs, rhs, .. } => write!(f, "{lhs} {} {rhs}", op.as_str()),
            DurationExpr::MinMax { max, a, b, .. } => {
                write!(f, "{}({a}, {b})", if *max { "max_of" } else { "min_of" })
            }
        }
    }
}

/// A duration in a range, offset or step position: a literal always with units (`[100]`
/// prints as `[1m40s]`, as Prometheus prints it), an expression as written.
struct DurationText<'a>(&'a DurationExpr);

impl Display for DurationText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            DurationExpr::Literal { ms, .. } => f.write_str(&format_duration(*ms)),
            other => write!(f, "{other}"),
        }
    }
}

fn write_number(f: &mut fmt::Formatter<'_>, v: f64, duration: bool) -> fmt::Result {
    // A duration prints with units when its milliseconds give back exactly this value.
    if duration && v == 0.0 {
        return f.write_str(if v.is_sign_negative() { "-0s" } else { "0s" });
    }
    let ms = (v * 1000.0).round();
    if duration
        && ms.is_finite()
        && ms.abs() < 9.2e18
        && ((ms as i64) as f64 / 1000.0).to_bits() == v.to_bits()
    {
        return f.write_str(&format_duration(ms as i64));
    }
    if v.is_nan() {
        f.write_str("NaN")
    } else if v.is_infinite() {
        f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" })
    } else {
        write!(f, "{v}")
    }
}

/// Writes `s` double-quoted with Go's escapes, as Prometheus prints strings.
pub fn write_go_quoted(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{07}' => f.write_str("\\a")?,
            '\u{08}' => f.write_str("\\b")?,
            '\u{0c}' => f.write_str("\\f")?,
            '\u{0b}' => f.write_str("\\v")?,
            c if (c as u32) < 0x20 || c == '\u{7f}' => write!(f, "\\x{:02x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

fn write_label_name(f: &mut impl Write, name: &str) -> fmt::Result {
    if is_legacy_label_name(name) {
        f.write_str(name)
    } else {
        write_go_quoted(f, name)
    }
}

fn write_matcher(f: &mut impl Write, m: &Matcher) -> fmt::Result {
    write_label_name(f, &m.name)?;
    f.write_str(m.op.as_str())?;
    write_go_quoted(f, &m.value)
}

fn write_selector(f: &mut fmt::Formatter<'_>, v: &VectorSelector) -> fmt::Result {
    let rest: Vec<&Matcher> = match &v.name {
        // The name's own matcher is the first one; print it as the name.
        Some(_) => v.matchers.iter().skip(1).collect(),
        None => v.matchers.iter().collect(),
    };
    let bare_name = v.name.as_deref().filter(|n| is_legacy_metric_name(n));
    if let Some(name) = bare_name {
        f.write_str(name)?;
        if rest.is_empty() {
            return Ok(());
        }
    }
    // Prometheus sorts the matchers' texts and joins them without spaces.
    let mut texts: Vec<String> = Vec::with_capacity(rest.len() + 1);
    for m in rest {
        let mut text = String::new();
        write_matcher(&mut text, m)?;
        texts.push(text);
    }
    texts.sort_unstable();
    if let (Some(name), None) = (&v.name, bare_name) {
        let mut quoted = String::new();
        write_go_quoted(&mut quoted, name)?;
        texts.insert(0, quoted);
    }
    write!(f, "{{{}}}", texts.join(","))
}

fn write_modifiers(f: &mut fmt::Formatter<'_>, mode: RangeMode, m: &TimeModifiers) -> fmt::Result {
    match mode {
        RangeMode::Default => {}
        RangeMode::Anchored => f.write_str(" anchored")?,
        RangeMode::Smoothed => f.write_str(" smoothed")?,
    }
    match &m.at {
        None => {}
        Some(At::Start) => f.write_str(" @ start()")?,
        Some(At::End) => f.write_str(" @ end()")?,
        Some(At::Timestamp(ms)) => write!(f, " @ {:.3}", *ms as f64 / 1000.0)?,
    }
    if let Some(d) = &m.offset {
        write!(f, " offset {}", DurationText(d))?;
    }
    Ok(())
}

fn write_list<T: Display>(f: &mut impl Write, items: impl Iterator<Item = T>) -> fmt::Result {
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

/// `(a, "b.c")`: label names, quoted where they are not plain identifiers.
pub fn write_labels(f: &mut impl Write, labels: &[String]) -> fmt::Result {
    f.write_char('(')?;
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write_label_name(f, l)?;
    }
    f.write_char(')')
}

/// What follows a binary operator: ` bool`, then ` on (…)`/` ignoring (…)` and
/// ` group_left (…)`/` group_right (…)` when the matching is not the default. LogQL's
/// printer writes its operators' modifiers with this too.
pub fn write_matching(f: &mut impl Write, return_bool: bool, m: &VectorMatching) -> fmt::Result {
    if return_bool {
        f.write_str(" bool")?;
    }
    let grouped = matches!(m.card, Cardinality::ManyToOne | Cardinality::OneToMany);
    if m.on || !m.labels.is_empty() || grouped {
        f.write_str(if m.on { " on " } else { " ignoring " })?;
        write_labels(f, &m.labels)?;
        if grouped {
            f.write_str(if m.card == Cardinality::ManyToOne {
                " group_left "
            } else {
                " group_right "
            })?;
            write_labels(f, &m.include)?;
        }
    }
    Ok(())
}

fn write_binary(f: &mut fmt::Formatter<'_>, b: &BinaryExpr) -> fmt::Result {
    write!(f, "{} {} {}", b.lhs, BinaryOperator(b), b.rhs)
}

/// A binary expression's operator with its modifiers: `/ on (job) group_left (team)`,
/// `> bool`, `+ fill(0)`.
pub struct BinaryOperator<'a>(pub &'a BinaryExpr);

impl Display for BinaryOperator<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        f.write_str(b.op.as_str())?;
        write_matching(f, b.return_bool, &b.matching)?;
        match (&b.fill.left, &b.fill.right) {
            (Some(l), Some(r)) if l == r => write!(f, " fill({})", NumberText(l.0)),
            (l, r) => {
                if let Some(l) = l {
                    write!(f, " fill_left({})", NumberText(l.0))?;
                }
                if let Some(r) = r {
                    write!(f, " fill_right({})", NumberText(r.0))?;
                }
                Ok(())
            }
        }
    }
}

/// What follows a subquery's expression: `[range:step]` and its modifiers.
pub struct SubqueryTail<'a>(pub &'a Subquery);

impl Display for SubqueryTail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "[{}:", DurationText(&s.range))?;
        if let Some(step) = &s.step {
            write!(f, "{}", DurationText(step))?;
        }
        f.write_char(']')?;
        write_modifiers(f, RangeMode::Default, &s.modifiers)
    }
}

/// An aggregation up to its opening parenthesis: `sum`, or `sum by (job) ` with the
/// space Prometheus leaves before the parenthesis.
pub struct AggregateHead<'a>(pub &'a AggregateExpr);

impl Display for AggregateHead<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        f.write_str(a.op.as_str())?;
        let (word, labels) = match &a.grouping {
            Grouping::By(labels) if labels.is_empty() => return Ok(()),
            Grouping::By(labels) => (" by ", labels),
            Grouping::Without(labels) => (" without ", labels),
        };
        f.write_str(word)?;
        write_labels(f, labels)?;
        f.write_char(' ')
    }
}

struct NumberText(f64);

impl Display for NumberText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_number(f, self.0, false)
    }
}

fn write_aggregate(f: &mut fmt::Formatter<'_>, a: &AggregateExpr) -> fmt::Result {
    write!(f, "{}(", AggregateHead(a))?;
    if let Some(p) = &a.param {
        write!(f, "{p}, ")?;
    }
    write!(f, "{})", a.expr)
}
