//! A look at a JSON line's text before parsing it: for `| json | name="value"`, a line
//! whose text cannot give `name` that value is dropped by the filter whatever the parse
//! gives, so it need not be parsed. Most lines of a search for one value are ruled out by
//! a substring search instead of a parse.

use crate::syntax::ast::LabelFilter;
use memchr::memmem::Finder;
use parquetry_model::MatchOp;

/// The equality `name="value"` that a label filter requires of every line it keeps.
pub struct JsonEquality {
    name: String,
    /// `"name"`, as the key is written.
    key: Finder<'static>,
    value: String,
}

impl JsonEquality {
    /// The equality `filter` requires (it or one side of an `and`) when the name can come
    /// from only one JSON key (letters and digits, not a leading digit: no other key
    /// sanitizes to it, and nested keys flatten to names with `_`) and the value is not
    /// empty (an absent label reads as empty).
    pub fn required_by(filter: &LabelFilter) -> Option<JsonEquality> {
        match filter {
            LabelFilter::And(a, b) => Self::required_by(a).or_else(|| Self::required_by(b)),
            LabelFilter::String(m)
                if m.op == MatchOp::Equal
                    && !m.value.is_empty()
                    && m.name.bytes().all(|b| b.is_ascii_alphanumeric())
                    && !m.name.starts_with(|c: char| c.is_ascii_digit()) =>
            {
                Some(JsonEquality {
                    name: m.name.clone(),
                    key: Finder::new(format!("\"{}\"", m.name).as_bytes()).into_owned(),
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
    pub fn may_hold(&self, line: &str) -> bool {
        let text = line.as_bytes();
        if memchr::memchr(b'\\', text).is_some() {
            return true;
        }
        let value = self.value.as_bytes();
        self.key.find_iter(text).any(|at| {
            let colon = skip_space(text, at + self.key.needle().len());
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

    fn equality(filters: &str) -> Option<JsonEquality> {
        let log = parse_log(&format!("{{app=\"a\"}} | json | {filters}")).unwrap();
        match &log.pipeline[1] {
            crate::syntax::ast::Stage::LabelFilter(f) => JsonEquality::required_by(f),
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
    fn lines_that_cannot_hold_the_value_are_ruled_out() {
        let eq = equality(r#"level="50""#).unwrap();
        for kept in [
            r#"{"level":50,"msg":"x"}"#,
            r#"{"msg":"x", "level" : "50" }"#,
            r#"{"level":50}"#,
            r#"{"a":{"level":50}}"#,
            r#"{"msg":"\u006cevel is 50"}"#,
            r#"{"level":30,"level":50}"#,
        ] {
            assert!(eq.may_hold(kept), "{kept}");
        }
        for dropped in [
            r#"{"level":30,"msg":"50"}"#,
            r#"{"level":500}"#,
            r#"{"level":"50x"}"#,
            r#"{"xlevel":50}"#,
            r#"{"level":5}"#,
            "not json level 50",
        ] {
            assert!(!eq.may_hold(dropped), "{dropped}");
        }
    }
}
