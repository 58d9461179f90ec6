//! Loki's patterns (`<ip> - <_> "<method> <path>"`): literal text and captures, as the
//! `pattern` parser and the `|>` line filter use them.

/// One piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternPart {
    /// Text that must appear as written.
    Literal(String),
    /// `<name>` captures into the label `name`; `<_>` (`None`) matches without capturing.
    Capture(Option<String>),
}

fn capture_name(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let first = chars.next()?;
    let valid =
        (first.is_ascii_alphabetic() || first == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(text)
}

/// Splits a pattern into its parts. A `<` that does not open `<identifier>` is literal
/// text. Refuses two captures in a row (nothing would tell where one ends) and a name
/// captured twice.
pub fn parse_pattern(pattern: &str) -> Result<Vec<PatternPart>, String> {
    let mut parts: Vec<PatternPart> = Vec::new();
    let mut literal = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('<') {
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('>').and_then(|close| capture_name(&after[..close]));
        match name {
            Some(name) => {
                if !literal.is_empty() {
                    parts.push(PatternPart::Literal(std::mem::take(&mut literal)));
                }
                if matches!(parts.last(), Some(PatternPart::Capture(_))) {
                    return Err(format!(
                        "found consecutive captures before <{name}> in pattern {pattern:?}"
                    ));
                }
                let capture = (name != "_").then(|| name.to_string());
                if capture.is_some() && parts.contains(&PatternPart::Capture(capture.clone())) {
                    return Err(format!("duplicate capture <{name}> in pattern {pattern:?}"));
                }
                parts.push(PatternPart::Capture(capture));
                rest = &after[name.len() + 1..];
            }
            None => {
                literal.push('<');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(PatternPart::Literal(literal));
    }
    Ok(parts)
}

/// The named captures of parsed pattern parts, in order.
pub fn capture_names(parts: &[PatternPart]) -> impl Iterator<Item = &str> {
    parts.iter().filter_map(|p| match p {
        PatternPart::Capture(Some(name)) => Some(name.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_captures() {
        let parts = parse_pattern("<ip> - <_> [<ts>] \"<method> <path>\" a<b").unwrap();
        assert_eq!(
            capture_names(&parts).collect::<Vec<_>>(),
            ["ip", "ts", "method", "path"]
        );
        assert_eq!(parts[1], PatternPart::Literal(" - ".into()));
        assert_eq!(parts.last(), Some(&PatternPart::Literal("\" a<b".into())));
        assert!(parse_pattern("<a><b>").is_err());
        assert!(parse_pattern("<a> <a>").is_err());
        assert_eq!(parse_pattern("no captures").unwrap().len(), 1);
    }
}
