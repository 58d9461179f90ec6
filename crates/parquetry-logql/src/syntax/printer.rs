//! Canonical text for a tree: one spelling per meaning, minimal parentheses, the range of
//! a log range after its pipeline. Parsing the printed text gives back an equal tree.

use super::ast::*;
use super::literals::format_duration;
use parquetry_model::labels::write_quoted;
use parquetry_promql::syntax::printer::{write_labels, write_matching};
use std::fmt::{self, Display, Formatter, Write};

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Log(log) => log.fmt(f),
            Expr::Literal(n, _) => write_number(f, n.0),
            Expr::Vector(n, _) => {
                f.write_str("vector(")?;
                write_number(f, n.0)?;
                f.write_char(')')
            }
            Expr::RangeAggregation(agg) => agg.fmt(f),
            Expr::VectorAggregation(agg) => {
                f.write_str(agg.op.as_str())?;
                if let Some(g) = &agg.grouping {
                    f.write_char(' ')?;
                    write_grouping(f, g)?;
                    f.write_char(' ')?;
                }
                f.write_char('(')?;
                if let Some(k) = &agg.param {
                    write_number(f, k.0)?;
                    f.write_str(", ")?;
                }
                write!(f, "{})", agg.expr)
            }
            Expr::Binary(b) => write_binary(f, b),
            Expr::LabelReplace(lr) => {
                write!(f, "label_replace({}", lr.expr)?;
                for s in [&lr.dst, &lr.replacement, &lr.src, &lr.regex] {
                    f.write_str(", ")?;
                    write_quoted(f, s)?;
                }
                f.write_char(')')
            }
        }
    }
}

impl Display for RangeAggregation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.op.as_str())?;
        if let Some(p) = &self.param {
            write_number(f, p.0)?;
            f.write_str(", ")?;
        }
        write!(f, "{})", self.range)?;
        if let Some(g) = &self.grouping {
            f.write_char(' ')?;
            write_grouping(f, g)?;
        }
        Ok(())
    }
}

impl Display for LogRange {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.log.fmt(f)?;
        if let Some(u) = &self.unwrap {
            f.write_str(" | unwrap ")?;
            match u.conversion.function() {
                Some(conv) => write!(f, "{conv}({})", u.label)?,
                None => f.write_str(&u.label)?,
            }
            for filter in &u.filters {
                write!(f, " | {filter}")?;
            }
        }
        write!(f, " [{}]", format_duration(self.range_nanos))?;
        if self.offset_nanos != 0 {
            write!(f, " offset {}", format_duration(self.offset_nanos))?;
        }
        Ok(())
    }
}

impl Display for LogExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (n, m) in self.matchers.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{m}")?;
        }
        f.write_char('}')?;
        for stage in &self.pipeline {
            f.write_char(' ')?;
            stage.fmt(f)?;
        }
        Ok(())
    }
}

impl Display for Stage {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Stage::LineFilter(lf) => {
                f.write_str(lf.op.as_str())?;
                for (n, v) in lf.values.iter().enumerate() {
                    f.write_str(if n == 0 { " " } else { " or " })?;
                    match v {
                        FilterValue::Text(s) => write_quoted(f, s)?,
                        FilterValue::Ip(s) => {
                            f.write_str("ip(")?;
                            write_quoted(f, s)?;
                            f.write_char(')')?;
                        }
                    }
                }
                Ok(())
            }
            Stage::Json(fields) => {
                f.write_str("| json")?;
                write_extractions(f, fields)
            }
            Stage::Logfmt(l) => {
                f.write_str("| logfmt")?;
                if l.strict {
                    f.write_str(" --strict")?;
                }
                if l.keep_empty {
                    f.write_str(" --keep-empty")?;
                }
                write_extractions(f, &l.fields)
            }
            Stage::Regexp(s) => write_stage_string(f, "regexp", s),
            Stage::Pattern(s) => write_stage_string(f, "pattern", s),
            Stage::LineFormat(s) => write_stage_string(f, "line_format", s),
            Stage::Unpack => f.write_str("| unpack"),
            Stage::Decolorize => f.write_str("| decolorize"),
            Stage::LabelFilter(filter) => write!(f, "| {filter}"),
            Stage::LabelFormat(items) => {
                f.write_str("| label_format ")?;
                for (n, item) in items.iter().enumerate() {
                    if n > 0 {
                        f.write_str(", ")?;
                    }
                    match item {
                        LabelFormat::Rename { dst, src } => write!(f, "{dst}={src}")?,
                        LabelFormat::Template { dst, template } => {
                            write!(f, "{dst}=")?;
                            write_quoted(f, template)?;
                        }
                    }
                }
                Ok(())
            }
            Stage::Drop(items) => write_selections(f, "drop", items),
            Stage::Keep(items) => write_selections(f, "keep", items),
        }
    }
}

impl Display for LabelFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            LabelFilter::And(l, r) => {
                write_filter_operand(f, l, matches!(**l, LabelFilter::Or(..)))?;
                f.write_str(" and ")?;
                write_filter_operand(f, r, matches!(**r, LabelFilter::Or(..) | LabelFilter::And(..)))
            }
            LabelFilter::Or(l, r) => {
                write_filter_operand(f, l, false)?;
                f.write_str(" or ")?;
                write_filter_operand(f, r, matches!(**r, LabelFilter::Or(..)))
            }
            LabelFilter::String(m) => write!(f, "{m}"),
            LabelFilter::Ip {
                name,
                negated,
                pattern,
            } => {
                write!(f, "{name}{}ip(", if *negated { "!=" } else { "=" })?;
                write_quoted(f, pattern)?;
                f.write_char(')')
            }
            LabelFilter::Number { name, op, value } => {
                write!(f, "{name}{}", op.as_str())?;
                write_number(f, value.0)
            }
            LabelFilter::Duration { name, op, nanos } => {
                write!(f, "{name}{}{}", op.as_str(), format_duration(*nanos))
            }
            LabelFilter::Bytes { name, op, bytes } => write!(f, "{name}{}{bytes}B", op.as_str()),
        }
    }
}

fn write_filter_operand(f: &mut Formatter<'_>, filter: &LabelFilter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({filter})")
    } else {
        write!(f, "{filter}")
    }
}

fn write_stage_string(f: &mut Formatter<'_>, name: &str, s: &str) -> fmt::Result {
    write!(f, "| {name} ")?;
    write_quoted(f, s)
}

fn write_extractions(f: &mut Formatter<'_>, fields: &[Extraction]) -> fmt::Result {
    for (n, e) in fields.iter().enumerate() {
        f.write_str(if n == 0 { " " } else { ", " })?;
        f.write_str(&e.label)?;
        if let Some(source) = &e.source {
            f.write_char('=')?;
            write_quoted(f, source)?;
        }
    }
    Ok(())
}

fn write_selections(f: &mut Formatter<'_>, name: &str, items: &[LabelSelection]) -> fmt::Result {
    write!(f, "| {name} ")?;
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            f.write_str(", ")?;
        }
        match item {
            LabelSelection::Name(l) => f.write_str(l)?,
            LabelSelection::Matcher(m) => write!(f, "{m}")?,
        }
    }
    Ok(())
}

fn write_grouping(f: &mut Formatter<'_>, g: &Grouping) -> fmt::Result {
    let (kw, labels) = match g {
        Grouping::By(l) => ("by", l),
        Grouping::Without(l) => ("without", l),
    };
    write!(f, "{kw} ")?;
    write_labels(f, labels)
}

fn write_binary(f: &mut Formatter<'_>, b: &BinaryExpr) -> fmt::Result {
    let prec = b.op.precedence();
    let right_assoc = b.op.right_associative();
    let lhs_parens = matches!(&*b.lhs, Expr::Binary(l)
        if l.op.precedence() < prec || (l.op.precedence() == prec && right_assoc));
    let rhs_parens = matches!(&*b.rhs, Expr::Binary(r)
        if r.op.precedence() < prec || (r.op.precedence() == prec && !right_assoc));
    write_operand(f, &b.lhs, lhs_parens)?;
    write!(f, " {}", b.op.as_str())?;
    write_matching(f, b.return_bool, &b.matching)?;
    f.write_char(' ')?;
    write_operand(f, &b.rhs, rhs_parens)
}

fn write_operand(f: &mut Formatter<'_>, e: &Expr, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

/// Numbers as Rust prints the shortest text that reads back to the same float.
fn write_number(f: &mut Formatter<'_>, v: f64) -> fmt::Result {
    write!(f, "{v}")
}
