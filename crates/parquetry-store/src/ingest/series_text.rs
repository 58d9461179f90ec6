//! Parsing the series notation of the exposition formats: `name{a="b",c="d"}`.

use parquetry_model::{Labels, METRIC_NAME};

/// A syntax error at a byte offset of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset (0-based) where the problem was found.
    pub offset: usize,
    /// What was expected there.
    pub message: String,
}

impl SyntaxError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            offset,
            message: message.into(),
        }
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

/// Length of the series part at the start of a sample line: the metric name and, if
/// present, the brace-enclosed label set (quotes and escapes respected).
pub fn series_len(line: &str) -> Result<usize, SyntaxError> {
    let b = line.as_bytes();
    let mut i = 0;
    if b.first().copied().is_some_and(is_name_start) {
        while i < b.len() && is_name_char(b[i]) {
            i += 1;
        }
    } else if b.first() != Some(&b'{') {
        return Err(SyntaxError::new(0, "expected a metric name or '{'"));
    }
    if b.get(i) != Some(&b'{') {
        return Ok(i);
    }
    let mut in_quote = false;
    i += 1;
    while i < b.len() {
        match (in_quote, b[i]) {
            (true, b'\\') => i += 1,
            (_, b'"') => in_quote = !in_quote,
            (false, b'}') => return Ok(i + 1),
            _ => {}
        }
        i += 1;
    }
    Err(SyntaxError::new(
        b.len(),
        if in_quote {
            "unterminated quoted string"
        } else {
            "expected '}' to close the label set"
        },
    ))
}

/// Parses a series in exposition notation into labels.
///
/// Accepts `name`, `name{…}` and `{…}` where the braces hold comma-separated
/// `label="value"` pairs (optionally with a trailing comma and blanks around items); a
/// label name may be quoted for UTF-8 names, and a quoted string standing alone names the
/// metric. Values take the escapes `\\`, `\"` and `\n`. Duplicate label names are errors.
pub fn parse_series(text: &str) -> Result<Labels, SyntaxError> {
    let mut p = Cursor { s: text, i: 0 };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let name_len = text.bytes().take_while(|&b| is_name_char(b)).count();
    if name_len > 0 {
        if !is_name_start(text.as_bytes()[0]) {
            return Err(SyntaxError::new(0, "expected a metric name or '{'"));
        }
        pairs.push((METRIC_NAME.to_string(), text[..name_len].to_string()));
        p.i = name_len;
    }
    if p.i < text.len() {
        p.expect(b'{', "expected '{' or the end of the series")?;
        p.skip_blanks();
        while !p.eat(b'}') {
            let at = p.i;
            let name = if p.peek() == Some(b'"') {
                p.quoted()?
            } else {
                p.label_name()?
            };
            p.skip_blanks();
            if p.eat(b'=') {
                p.skip_blanks();
                if p.peek() != Some(b'"') {
                    return Err(SyntaxError::new(p.i, "expected '\"' to open the label value"));
                }
                let value = p.quoted()?;
                if pairs.iter().any(|(n, _)| *n == name) {
                    return Err(SyntaxError::new(at, format!("duplicate label name {name:?}")));
                }
                pairs.push((name, value));
            } else if text.as_bytes()[at] == b'"' && !pairs.iter().any(|(n, _)| n == METRIC_NAME) {
                pairs.push((METRIC_NAME.to_string(), name));
            } else {
                return Err(SyntaxError::new(p.i, "expected '=' after the label name"));
            }
            p.skip_blanks();
            if !p.eat(b',') {
                p.skip_blanks();
                p.expect(b'}', "expected ',' or '}' after a label")?;
                break;
            }
            p.skip_blanks();
        }
        if p.i != text.len() {
            return Err(SyntaxError::new(p.i, "unexpected text after the label set"));
        }
    }
    if pairs.is_empty() {
        return Err(SyntaxError::new(
            0,
            "a series needs a metric name or at least one label",
        ));
    }
    if pairs.iter().any(|(n, v)| n == METRIC_NAME && v.is_empty()) {
        return Err(SyntaxError::new(0, "the metric name must not be empty"));
    }
    Ok(Labels::from_pairs(pairs))
}

struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8, message: &str) -> Result<(), SyntaxError> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(SyntaxError::new(self.i, message))
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn label_name(&mut self) -> Result<String, SyntaxError> {
        let start = self.i;
        let b = self.s.as_bytes();
        if !b
            .get(start)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
        {
            return Err(SyntaxError::new(start, "expected a label name"));
        }
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
        {
            self.i += 1;
        }
        Ok(self.s[start..self.i].to_string())
    }

    /// A double-quoted string with the exposition escapes; the cursor is on the quote.
    fn quoted(&mut self) -> Result<String, SyntaxError> {
        let open = self.i;
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            match self.peek() {
                None => return Err(SyntaxError::new(open, "unterminated quoted string")),
                Some(b'"') => {
                    out.push_str(&self.s[run..self.i]);
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.s[run..self.i]);
                    let escaped = match self.s.as_bytes().get(self.i + 1) {
                        Some(b'\\') => '\\',
                        Some(b'"') => '"',
                        Some(b'n') => '\n',
                        _ => {
                            return Err(SyntaxError::new(
                                self.i,
                                "invalid escape: expected \\\\, \\\" or \\n",
                            ));
                        }
                    };
                    out.push(escaped);
                    self.i += 2;
                    run = self.i;
                }
                Some(b'\n') => {
                    return Err(SyntaxError::new(
                        self.i,
                        "unescaped line break in a quoted string",
                    ));
                }
                Some(_) => self.i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_notations() {
        let l = parse_series(r#"http_requests_total{job="api",code="200",}"#).unwrap();
        assert_eq!(l.to_string(), r#"http_requests_total{code="200", job="api"}"#);
        assert_eq!(parse_series("up").unwrap().to_string(), "up");
        let odd = parse_series(r#"{"my.metric", "a.b"="x\ny\\\"", c = "d"}"#).unwrap();
        assert_eq!(odd.get("__name__"), Some("my.metric"));
        assert_eq!(odd.get("a.b"), Some("x\ny\\\""));
        assert_eq!(odd.get("c"), Some("d"));
    }

    #[test]
    fn errors_name_the_place() {
        let cases = [
            (r#"up{job="a""#, 10, "expected ',' or '}'"),
            (r#"up{job=a}"#, 7, "expected '\"'"),
            (r#"up{job="a",job="b"}"#, 11, "duplicate label name"),
            (r#"up{1x="a"}"#, 3, "expected a label name"),
            (r#"up{job="\x"}"#, 8, "invalid escape"),
            (r#"up{job="a"}x"#, 11, "unexpected text"),
            ("{}", 0, "needs a metric name"),
            ("9up", 0, "expected a metric name"),
        ];
        for (text, offset, msg) in cases {
            let e = parse_series(text).unwrap_err();
            assert_eq!(e.offset, offset, "{text}: {e:?}");
            assert!(e.message.contains(msg), "{text}: {e:?}");
        }
    }

    #[test]
    fn series_len_respects_quotes() {
        assert_eq!(series_len(r#"a{b="}"} 1"#).unwrap(), 8);
        assert_eq!(series_len("abc 1").unwrap(), 3);
        assert!(series_len(r#"a{b="x"#).is_err());
    }
}
