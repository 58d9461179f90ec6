//! A look at a line's text before a parser reads it: for `| json | name="value"` or
//! `| logfmt | name="value"`, a line whose text cannot give `name` that value is dropped
//! by the filter whatever the parse gives, so it need not be parsed. Most lines of a
//! search for one value are ruled out by a substring search instead of a parse.

use crate::syntax::ast::LabelFilter;
use memchr::memmem::Finder;
use parquetry_model::MatchOp;

/// The equality `name="value"` that a label filter requires of every line it keeps.
pub struct RequiredEquality {
    name: String,
    /// `"name"`, the key as JSON writes it.
    json_key: Finder<'static>,
    /// `name=`, the key as logfmt writes it.
    logfmt_key: Finder<'static>,
    value: String,
}

impl RequiredEquality {
    /// The equality `filter` requires (it or one side of an `and`) when the name can come
    /// from only one key (letters and digits, not a leading digit: no other key sanitizes
    /// to it, and nested JSON keys flatten to names with `_`) and the value is not empty
    /// (an absent label reads as empty).
    pub fn required_by(filter: &LabelFilter) -> Option<RequiredEquality> {
        match filter {
            LabelFilter::And(a, b) => Self::required_by(a).or_else(|| Self::required_by(b)),
            LabelFilter::String(m)
                if m.op == MatchOp::Equal
                    && !m.value.is_empty()
                    && m.name.bytes().all(|b| b.is_ascii_alphanumeric())
                    && !m.name.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Some(RequiredEquality {
                    name: m.name.clone(),
                    json_key: Finder::new(format!("\"{}\"", m.name).as_bytes()).into_owned(),
                    logfmt_key: Finder::new(format!("{}=", m.name).as_bytes()).into_owned(),
                    value: m.value.clone(),
                })
            }
            _ => None,
        }
    }

    /// The label the filter reads.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// False only when `line`, read as JSON, cannot give the label the value: the line
    /// holds no escape (so every key and string is written as it reads), and nowhere in it
    /// does the key `"name"` come before a `:` and the value, written as a string or bare
    /// (a number or literal).
    pub fn may_hold_json(&self, line: &str) -> bool {
        self.any_after_key(line, &self.json_key, |text, after_key, value| {
            let colon = skip_space(text, after_key);
            if text.get(colon) != Some(&b':') {
                return false;
            }
            let rest = &text[skip_space(text, colon + 1)..];
            let quoted = rest.len() > value.len() + 1
                && rest[0] == b'"'
                && rest[1..].starts_with(value)
                && rest[value.len() + 1] == b'"';
            let bare = rest.starts_with(value)
                && rest
                    .get(value.len())
                    .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}' | b']'));
            quoted || bare
        })
    }

    /// False only when `line`, read as logfmt, cannot give the label the value: the line
    /// holds no escape, and nowhere in it does `name=` come before the value, bare (up to
    /// a space or control character) or quoted (up to a quote or the end of the line).
    pub fn may_hold_logfmt(&self, line: &str) -> bool {
        self.any_after_key(line, &self.logfmt_key, |text, after_key, value| {
            let rest = &text[after_key..];
            let quoted = rest.first() == Some(&b'"')
                && rest[1..].starts_with(value)
                && rest.get(value.len() + 1).is_none_or(|&c| c == b'"');
            let bare = rest.starts_with(value) && rest.get(value.len()).is_none_or(|&c| c <= b' ');
            quoted || bare
        })
    }

    /// True when `line` holds an escape (its keys and values may then read otherwise than
    /// written), or when `holds` is true of some place right after `key` in it; `holds`
    /// gets the line's bytes, that place and the value's bytes.
    fn any_after_key(
        &self,
        line: &str,
        key: &Finder<'_>,
        holds: impl Fn(&[u8], usize, &[u8]) -> bool,
    ) -> bool {
        let text = line.as_bytes();
        memchr::memchr(b'\\', text).is_some()
            || key
                .find_iter(text)
                .any(|at| holds(text, at + key.needle().len(), self.value.as_bytes()))
    }
}

/// The first position at or after `i` that is not JSON whitespace.
fn skip_space(text: &[u8], mut i: usize) -> usize {
    while text
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_log;

    fn equality(filters: &str) -> Option<RequiredEquality> {
        let log = parse_log(&format!("{{app=\"a\"}} | json | {filters}")).unwrap();
        match &log.pipeline[1] {
            crate::syntax::ast::Stage::LabelFilter(f) => RequiredEquality::required_by(f),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_an_equality_on_a_plain_name_is_required() {
        assert_eq!(equality(r#"level="50""#).unwrap().name(), "level");
        assert_eq!(equality(r#"took > 1s and level="50""#).unwrap().name(), "level");
        for none in [
            r#"level="50" or level="40""#,
            r#"level=~"5.""#,
            r#"level="""#,
            r#"req_id="x""#,
            "level > 40",
        ] {
            assert!(equality(none).is_none(), "{none}");
        }
    }

    #[test]
    fn logfmt_lines_that_cannot_hold_the_value_are_ruled_out() {
        let eq = equality(r#"level="error""#).unwrap();
        for kept in [
            "ts=1 level=error msg=x",
            r#"level="error" msg=x"#,
            "level=error",
            r#"msg=x level="error"#,
            r#"msg="a \"level=warn" level=err\or"#,
            "xlevel=error",
        ] {
            assert!(eq.may_hold_logfmt(kept), "{kept}");
        }
        for dropped in [
            "level=warn msg=error",
            "level=errors",
            r#"level="error x""#,
            "level =error",
            "msg=level:error",
        ] {
            assert!(!eq.may_hold_logfmt(dropped), "{dropped}");
        }
    }

    #[test]
    fn json_lines_that_cannot_hold_the_value_are_ruled_out() {
        let eq = equality(r#"level="50""#).unwrap();
        for kept in [
            r#"{"level":50,"msg":"x"}"#,
            r#"{"msg":"x", "level" : "50" }"#,
            r#"{"level":50}"#,
            r#"{"a":{"level":50}}"#,
            r#"{"msg":"\u006cevel is 50"}"#,
            r#"{"level":30,"level":50}"#,
        ] {
            assert!(eq.may_hold_json(kept), "{kept}");
        }
        for dropped in [
            r#"{"level":30,"msg":"50"}"#,
            r#"{"level":500}"#,
            r#"{"level":"50x"}"#,
            r#"{"xlevel":50}"#,
            r#"{"level":5}"#,
            "not json level 50",
        ] {
            assert!(!eq.may_hold_json(dropped), "{dropped}");
        }
    }
}
