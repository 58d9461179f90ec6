//! Vector selectors: `name{label op "value", …}`.

use super::error::{PResult, backtrack, fail};
use super::lex::{label_identifier, metric_identifier, string_literal, token, ws};
use parquetry_model::{METRIC_NAME, MatchOp, Matcher};

/// The series part of a selector: its matchers, with the metric name (written before the
/// braces or as a quoted name inside them) as an `__name__="…"` matcher first.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesMatchers {
    /// The metric name when it was written as a name (not as a `__name__` matcher).
    pub name: Option<String>,
    /// Every matcher, the name's first when there is one.
    pub matchers: Vec<Matcher>,
}

fn match_op(i: &str) -> PResult<'_, MatchOp> {
    let i = ws(i);
    for (text, op) in [
        ("=~", MatchOp::RegexMatch),
        ("!~", MatchOp::RegexNoMatch),
        ("!=", MatchOp::NotEqual),
        ("=", MatchOp::Equal),
    ] {
        if let Some(rest) = i.strip_prefix(text) {
            return Ok((rest, op));
        }
    }
    backtrack(i, "expected a matching operator: =, !=, =~ or !~")
}

/// One item inside braces: `label op "value"`, or a quoted metric name standing alone.
enum Item {
    Matcher(Matcher),
    Name(String),
}

fn item(i: &str) -> PResult<'_, Item> {
    let start = ws(i);
    let (rest, name) = match string_literal(start) {
        Ok((rest, quoted)) => {
            // A quoted string is a label name only when an operator follows.
            if match_op(rest).is_err() {
                return Ok((rest, Item::Name(quoted)));
            }
            (rest, quoted)
        }
        Err(nom::Err::Error(_)) => {
            let (rest, n) = label_identifier(start)?;
            (rest, n.to_string())
        }
        Err(e) => return Err(e),
    };
    let (rest, op) = match match_op(rest) {
        Ok(ok) => ok,
        Err(_) => {
            return fail(
                ws(rest),
                "expected a matching operator (=, !=, =~, !~) after the label name",
            );
        }
    };
    let (rest, value) = match string_literal(rest) {
        Ok(ok) => ok,
        Err(nom::Err::Error(_)) => return fail(ws(rest), "expected a quoted label value"),
        Err(e) => return Err(e),
    };
    match Matcher::new(op, name, value) {
        Ok(m) => Ok((rest, Item::Matcher(m))),
        Err(e) => fail(start, e.to_string()),
    }
}

/// The brace-enclosed matcher list, the cursor on `{`.
fn braces(i: &str) -> PResult<'_, Vec<Item>> {
    let (mut i, _) = token("{")(i)?;
    let mut items = Vec::new();
    loop {
        if let Ok((rest, _)) = token("}")(i) {
            return Ok((rest, items));
        }
        let (rest, it) = item(i).map_err(|e| match e {
            nom::Err::Error(_) => nom::Err::Failure(super::error::PError::new(
                ws(i),
                "expected a label matcher or '}'",
            )),
            e => e,
        })?;
        items.push(it);
        i = rest;
        match token(",")(i) {
            Ok((rest, _)) => i = rest,
            Err(_) => match token("}")(i) {
                Ok((rest, _)) => return Ok((rest, items)),
                Err(_) => return fail(ws(i), "expected ',' or '}' after a label matcher"),
            },
        }
    }
}

/// A metric name and/or a matcher list. Does not check the "at least one non-empty
/// matcher" rule; [`check_not_empty_matching`] does.
pub fn series_matchers(i: &str) -> PResult<'_, SeriesMatchers> {
    let start = ws(i);
    let (rest, outer) = match metric_identifier(start) {
        Ok((rest, n)) => (rest, Some(n.to_string())),
        Err(_) => (start, None),
    };
    // Braces may follow a name directly, or stand alone.
    let has_braces = ws(rest).starts_with('{');
    if outer.is_none() && !has_braces {
        return backtrack(start, "expected a metric name or '{'");
    }
    let (rest, items) = if has_braces {
        braces(rest)?
    } else {
        (rest, Vec::new())
    };
    let mut name = outer;
    let mut matchers = Vec::new();
    for it in items {
        match it {
            Item::Matcher(m) => matchers.push(m),
            Item::Name(n) => {
                if let Some(prev) = &name {
                    return fail(
                        start,
                        format!("metric name must not be set twice: {prev:?} or {n:?}"),
                    );
                }
                name = Some(n);
            }
        }
    }
    if let Some(n) = &name {
        if let Some(m) = matchers.iter().find(|m| m.name == METRIC_NAME) {
            return fail(
                start,
                format!("metric name must not be set twice: {n:?} or {:?}", m.value),
            );
        }
        matchers.insert(0, Matcher::equal(METRIC_NAME, n.clone()));
    }
    Ok((rest, SeriesMatchers { name, matchers }))
}

/// Prometheus refuses selectors whose every matcher matches the empty string, since they
/// would select every series.
pub fn check_not_empty_matching<'a>(at: &'a str, sel: &SeriesMatchers) -> PResult<'a, ()> {
    if sel.matchers.iter().all(Matcher::matches_empty) {
        return fail(at, "vector selector must contain at least one non-empty matcher");
    }
    Ok((at, ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> SeriesMatchers {
        let (rest, s) = series_matchers(src).unwrap();
        assert_eq!(ws(rest), "", "{src}");
        s
    }

    #[test]
    fn names_and_matchers() {
        let s = ok(r#"http_requests_total{job="api", code=~"5..",}"#);
        assert_eq!(s.name.as_deref(), Some("http_requests_total"));
        let shown: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            shown,
            vec![
                r#"__name__="http_requests_total""#,
                r#"job="api""#,
                r#"code=~"5..""#
            ]
        );
        let utf8 = ok(r#"{"my.metric", "a.b"!="x"}"#);
        assert_eq!(utf8.name.as_deref(), Some("my.metric"));
        assert_eq!(utf8.matchers[1].name, "a.b");
        assert_eq!(ok("{job='a'}").name, None);
    }

    #[test]
    fn errors_say_what_was_expected() {
        for (src, msg) in [
            (r#"foo{job="a""#, "expected ',' or '}'"),
            (r#"foo{job}"#, "expected a matching operator"),
            (r#"foo{job=a}"#, "expected a quoted label value"),
            (r#"foo{,}"#, "expected a label matcher"),
            (r#"foo{"bar"}"#, "metric name must not be set twice"),
            (r#"foo{__name__="bar"}"#, "metric name must not be set twice"),
            (r#"foo{a=~"("}"#, "invalid regular expression"),
        ] {
            let e = series_matchers(src).unwrap_err();
            let nom::Err::Failure(e) = e else {
                panic!("{src}: {e:?}")
            };
            assert!(e.message.contains(msg), "{src}: {}", e.message);
        }
    }
}
