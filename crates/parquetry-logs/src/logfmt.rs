//! A logfmt reader: `key=value` pairs separated by spaces, values bare or double-quoted
//! with Go-style escapes (`\"`, `\\`, `\n`, `\t`, `\r`), a key without `=` standing for
//! an empty value.

use std::borrow::Cow;

/// The pairs of a logfmt line, in order, borrowed from it (a value with escapes is
/// unescaped into its own string). Never fails: text that is not logfmt yields whatever
/// pairs it appears to hold (a bare word is a key with an empty value), the way Loki's
/// logfmt parser reads loose input.
pub fn pairs(line: &str) -> Vec<(&str, Cow<'_, str>)> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] <= b' ' {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] > b' ' && bytes[i] != b'=' && bytes[i] != b'"' {
            i += 1;
        }
        let key = &line[key_start..i];
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            let (value, next) = value_at(line, i);
            i = next;
            if !key.is_empty() {
                out.push((key, value));
            }
        } else {
            if !key.is_empty() {
                out.push((key, Cow::Borrowed("")));
            }
            if i < bytes.len() && bytes[i] == b'"' {
                // A stray quoted string outside a pair: skip it.
                let (_, next) = value_at(line, i);
                i = next;
            }
        }
    }
    out
}

/// True when `line` looks like logfmt: its first token is a `key=` pair with a
/// plausible key and the line has at least two pairs.
pub fn looks_like_logfmt(line: &str) -> bool {
    let first = line.split_ascii_whitespace().next().unwrap_or("");
    let Some((key, _)) = first.split_once('=') else {
        return false;
    };
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && line.split_ascii_whitespace().filter(|t| t.contains('=')).count() >= 2
}

/// The value starting at byte `i` and the index after it.
fn value_at(line: &str, mut i: usize) -> (Cow<'_, str>, usize) {
    let bytes = line.as_bytes();
    if i < bytes.len() && bytes[i] == b'"' {
        i += 1;
        let first = i;
        let mut value = String::new();
        let mut start = i;
        while i < bytes.len() {
            match bytes[i] {
                b'"' if start == first => return (Cow::Borrowed(&line[first..i]), i + 1),
                b'"' => {
                    value.push_str(&line[start..i]);
                    return (Cow::Owned(value), i + 1);
                }
                b'\\' if i + 1 < bytes.len() && bytes[i + 1].is_ascii() => {
                    value.push_str(&line[start..i]);
                    match bytes[i + 1] {
                        b'n' => value.push('\n'),
                        b't' => value.push('\t'),
                        b'r' => value.push('\r'),
                        other => value.push(other as char),
                    }
                    i += 2;
                    start = i;
                    continue;
                }
                _ => i += 1,
            }
        }
        value.push_str(&line[start..]);
        return (Cow::Owned(value), i);
    }
    let start = i;
    while i < bytes.len() && bytes[i] > b' ' {
        i += 1;
    }
    (Cow::Borrowed(&line[start..i]), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Vec<(String, String)> {
        pairs(line)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_owned()))
            .collect()
    }

    #[test]
    fn reads_bare_quoted_and_empty_values() {
        let got = p(r#"ts=2026-01-02T03:04:05Z level=info msg="GET \"/x\" done" path=/x flag empty="""#);
        let want: Vec<(String, String)> = [
            ("ts", "2026-01-02T03:04:05Z"),
            ("level", "info"),
            ("msg", "GET \"/x\" done"),
            ("path", "/x"),
            ("flag", ""),
            ("empty", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn non_ascii_values_stay_whole() {
        assert_eq!(
            p("user=zoë city=\"São Paulo\""),
            [
                ("user".to_string(), "zoë".to_string()),
                ("city".to_string(), "São Paulo".to_string())
            ]
        );
    }

    #[test]
    fn recognises_logfmt_lines() {
        assert!(looks_like_logfmt("level=info method=GET status=200"));
        assert!(!looks_like_logfmt("GC pause 12ms"));
        assert!(!looks_like_logfmt("x=1 only one pair"));
        assert!(!looks_like_logfmt(r#"{"level":"info"}"#));
    }

    #[test]
    fn a_backslash_before_a_multibyte_character_is_kept() {
        assert_eq!(p("msg=\"a\\é\""), [("msg".to_string(), "a\\é".to_string())]);
    }
}
