//! Pipelines: line filters, parsers, formatting stages, label filters, and `unwrap` with
//! the label filters that may follow it.

use super::super::ast::*;
use super::super::literals::string_literal;
use super::{Parser, STAGES};
use parquetry_model::{MatchOp, Matcher};
use parquetry_promql::syntax::error::{PResult, fail};
use parquetry_promql::syntax::lex::{keyword, label_identifier, token, unexpected, word, ws};

impl Parser<'_> {
    /// Stages until something that is not one; with `allow_unwrap`, an `unwrap` and the
    /// label filters after it end the pipeline.
    pub(super) fn pipeline<'a>(
        &self,
        i: &'a str,
        allow_unwrap: bool,
    ) -> PResult<'a, (Vec<Stage>, Option<Unwrap>)> {
        let mut stages = Vec::new();
        let mut i = i;
        loop {
            let at = ws(i);
            if let Some((rest, op)) = line_filter_op(at) {
                let (rest, filter) = line_filter(rest, op)?;
                stages.push(Stage::LineFilter(filter));
                i = rest;
                continue;
            }
            let Some(after_pipe) = at.strip_prefix('|') else {
                return Ok((i, (stages, None)));
            };
            if let Some(rest) = keyword(after_pipe, "unwrap") {
                if !allow_unwrap {
                    return fail(
                        ws(after_pipe),
                        "unwrap belongs in a range aggregation over values, such as sum_over_time({…} | unwrap x [5m])",
                    );
                }
                let (rest, unwrap) = self.unwrap(rest)?;
                return Ok((rest, (stages, Some(unwrap))));
            }
            let (rest, stage) = self.stage(after_pipe)?;
            stages.push(stage);
            i = rest;
        }
    }

    /// The stage after a `|` (which `i` follows).
    fn stage<'a>(&self, i: &'a str) -> PResult<'a, Stage> {
        let at = ws(i);
        let Some((rest, name)) = word(at) else {
            return match self.label_filter(at) {
                Ok((rest, f)) => Ok((rest, Stage::LabelFilter(f))),
                Err(nom::Err::Error(_)) => fail(at, unexpected(at, "a pipeline stage or a label filter")),
                Err(e) => Err(e),
            };
        };
        let stage = STAGES.iter().find(|s| s.eq_ignore_ascii_case(name));
        match stage.copied() {
            Some("json") => {
                let (rest, fields) = extractions(rest)?;
                Ok((rest, Stage::Json(fields)))
            }
            Some("logfmt") => {
                let mut logfmt = Logfmt::default();
                let mut rest = rest;
                loop {
                    let flag = ws(rest);
                    if let Some(after) = flag.strip_prefix("--strict") {
                        logfmt.strict = true;
                        rest = after;
                    } else if let Some(after) = flag.strip_prefix("--keep-empty") {
                        logfmt.keep_empty = true;
                        rest = after;
                    } else if flag.starts_with("--") {
                        return fail(flag, "unknown logfmt flag: expected --strict or --keep-empty");
                    } else {
                        break;
                    }
                }
                let (rest, fields) = extractions(rest)?;
                logfmt.fields = fields;
                Ok((rest, Stage::Logfmt(logfmt)))
            }
            Some("regexp") => {
                let (rest, s) = required_string(rest, "a regular expression with named groups")?;
                Ok((rest, Stage::Regexp(s)))
            }
            Some("pattern") => {
                let (rest, s) = required_string(rest, "a pattern such as \"<ip> <_> <status>\"")?;
                Ok((rest, Stage::Pattern(s)))
            }
            Some("line_format") => {
                let (rest, s) = required_string(rest, "a template")?;
                Ok((rest, Stage::LineFormat(s)))
            }
            Some("unpack") => Ok((rest, Stage::Unpack)),
            Some("decolorize") => Ok((rest, Stage::Decolorize)),
            Some("label_format") => {
                let (rest, items) = label_formats(rest)?;
                Ok((rest, Stage::LabelFormat(items)))
            }
            Some("drop") => {
                let (rest, items) = label_selections(rest)?;
                Ok((rest, Stage::Drop(items)))
            }
            Some("keep") => {
                let (rest, items) = label_selections(rest)?;
                Ok((rest, Stage::Keep(items)))
            }
            _ => match self.label_filter(at) {
                Ok((rest, f)) => Ok((rest, Stage::LabelFilter(f))),
                Err(nom::Err::Error(_)) => fail(at, unexpected(at, "a pipeline stage or a label filter")),
                Err(e) => Err(e),
            },
        }
    }

    /// After `unwrap`: `label` or `conversion(label)`, then `| label filter`s only.
    fn unwrap<'a>(&self, i: &'a str) -> PResult<'a, Unwrap> {
        let at = ws(i);
        let conversions = [
            ("bytes", Conversion::Bytes),
            ("duration_seconds", Conversion::DurationSeconds),
            ("duration", Conversion::Duration),
        ];
        let converted = conversions.iter().find_map(|(name, conv)| {
            keyword(at, name)
                .filter(|rest| ws(rest).starts_with('('))
                .map(|rest| (rest, *conv))
        });
        let (rest, label, conversion) = match converted {
            Some((rest, conversion)) => {
                let (rest, _) = token("(")(rest)?;
                let (rest, label) = required_label(rest)?;
                match token(")")(rest) {
                    Ok((rest, _)) => (rest, label, conversion),
                    Err(_) => return fail(ws(rest), unexpected(ws(rest), "')'")),
                }
            }
            None => {
                let (rest, label) = required_label(at)?;
                (rest, label, Conversion::Float)
            }
        };
        let mut filters = Vec::new();
        let mut i = rest;
        loop {
            let at = ws(i);
            if line_filter_op(at).is_some() {
                return fail(at, "only label filters may follow unwrap");
            }
            let Some(after_pipe) = at.strip_prefix('|') else {
                break;
            };
            let next = ws(after_pipe);
            if word(next).is_some_and(|(_, w)| STAGES.iter().any(|s| s.eq_ignore_ascii_case(w))) {
                return fail(next, "only label filters may follow unwrap");
            }
            let (rest, f) = match self.label_filter(next) {
                Ok(ok) => ok,
                Err(nom::Err::Error(_)) => return fail(next, "only label filters may follow unwrap"),
                Err(e) => return Err(e),
            };
            filters.push(f);
            i = rest;
        }
        Ok((
            i,
            Unwrap {
                label,
                conversion,
                filters,
            },
        ))
    }
}

/// The line-filter operator at the start of `i`.
fn line_filter_op(i: &str) -> Option<(&str, LineFilterOp)> {
    LineFilterOp::ALL
        .iter()
        .find_map(|(text, op)| i.strip_prefix(text).map(|rest| (rest, *op)))
}

/// The value of a line filter and its `or` alternatives, after the operator.
fn line_filter(i: &str, op: LineFilterOp) -> PResult<'_, LineFilter> {
    let (mut i, first) = match filter_value(i)? {
        (rest, Some(v)) => (rest, v),
        (rest, None) => {
            return fail(
                ws(rest),
                unexpected(ws(rest), "a string or ip(\"…\") after the line filter"),
            );
        }
    };
    let mut values = vec![first];
    while let Some(after_or) = keyword(i, "or") {
        match filter_value(after_or)? {
            (rest, Some(v)) => {
                values.push(v);
                i = rest;
            }
            (_, None) => break,
        }
    }
    Ok((i, LineFilter { op, values }))
}

/// A string or `ip("…")`, or `None` (consuming nothing) when neither is there.
fn filter_value(i: &str) -> PResult<'_, Option<FilterValue>> {
    let at = ws(i);
    if let Some(rest) = keyword(at, "ip").filter(|rest| ws(rest).starts_with('(')) {
        let (rest, _) = token("(")(rest)?;
        let (rest, pattern) = required_string(rest, "an address, CIDR range or address range")?;
        return match token(")")(rest) {
            Ok((rest, _)) => Ok((rest, Some(FilterValue::Ip(pattern)))),
            Err(_) => fail(ws(rest), unexpected(ws(rest), "')'")),
        };
    }
    match string_literal(at) {
        Ok((rest, s)) => Ok((rest, Some(FilterValue::Text(s)))),
        Err(nom::Err::Error(_)) => Ok((i, None)),
        Err(e) => Err(e),
    }
}

fn required_string<'a>(i: &'a str, what: &str) -> PResult<'a, String> {
    match string_literal(i) {
        Ok(ok) => Ok(ok),
        Err(nom::Err::Error(_)) => fail(ws(i), unexpected(ws(i), &format!("a string: {what}"))),
        Err(e) => Err(e),
    }
}

fn required_label(i: &str) -> PResult<'_, String> {
    match label_identifier(i) {
        Ok((rest, name)) => Ok((rest, name.to_string())),
        Err(_) => fail(ws(i), unexpected(ws(i), "a label name")),
    }
}

/// Items separated by commas, at least one when `first` finds one.
fn comma_list<'a, T>(i: &'a str, mut item: impl FnMut(&'a str) -> PResult<'a, T>) -> PResult<'a, Vec<T>> {
    let (mut i, first) = item(i)?;
    let mut items = vec![first];
    while let Ok((rest, _)) = token(",")(i) {
        let (rest, next) = match item(rest) {
            Ok(ok) => ok,
            Err(nom::Err::Error(e)) => return Err(nom::Err::Failure(e)),
            Err(e) => return Err(e),
        };
        items.push(next);
        i = rest;
    }
    Ok((i, items))
}

/// `a, b="path"` after `json` or `logfmt`; empty when no label name follows.
fn extractions(i: &str) -> PResult<'_, Vec<Extraction>> {
    if label_identifier(i).is_err() {
        return Ok((i, Vec::new()));
    }
    comma_list(i, |i| {
        let (rest, label) = match label_identifier(i) {
            Ok((rest, l)) => (rest, l.to_string()),
            Err(_) => return fail(ws(i), unexpected(ws(i), "a label name")),
        };
        match token("=")(rest) {
            Ok((rest, _)) => {
                let (rest, source) = required_string(rest, "the field's path")?;
                Ok((
                    rest,
                    Extraction {
                        label,
                        source: Some(source),
                    },
                ))
            }
            Err(_) => Ok((rest, Extraction { label, source: None })),
        }
    })
}

/// `dst=src, dst="{{template}}"` after `label_format`.
fn label_formats(i: &str) -> PResult<'_, Vec<LabelFormat>> {
    comma_list(i, |i| {
        let (rest, dst) = required_label(i)?;
        let rest = match token("=")(rest) {
            Ok((rest, _)) => rest,
            Err(_) => return fail(ws(rest), unexpected(ws(rest), "'=' in label_format")),
        };
        if let Ok((rest, template)) = string_literal(rest) {
            return Ok((rest, LabelFormat::Template { dst, template }));
        }
        let (rest, src) = required_label(rest)?;
        Ok((rest, LabelFormat::Rename { dst, src }))
    })
}

/// `a, b="v", c=~"re"` after `drop` or `keep`.
fn label_selections(i: &str) -> PResult<'_, Vec<LabelSelection>> {
    comma_list(i, |i| {
        let start = ws(i);
        let (rest, name) = required_label(start)?;
        let at = ws(rest);
        let op = [
            ("=~", MatchOp::RegexMatch),
            ("!~", MatchOp::RegexNoMatch),
            ("!=", MatchOp::NotEqual),
            ("=", MatchOp::Equal),
        ]
        .into_iter()
        .find_map(|(text, op)| at.strip_prefix(text).map(|rest| (rest, op)));
        let Some((rest, op)) = op else {
            return Ok((rest, LabelSelection::Name(name)));
        };
        let (rest, value) = required_string(rest, "the label value")?;
        match Matcher::new(op, name, value) {
            Ok(m) => Ok((rest, LabelSelection::Matcher(m))),
            Err(e) => fail(start, e.to_string()),
        }
    })
}
