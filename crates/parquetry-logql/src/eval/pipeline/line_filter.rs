//! Line filters: substrings, unanchored regular expressions, whole-line patterns and
//! addresses, each with its `or` alternatives.

use super::BuildError;
use crate::eval::ip::IpPattern;
use crate::syntax::ast::{FilterValue, LineFilter, LineFilterOp};
use crate::syntax::pattern::{PatternPart, parse_pattern};
use memchr::memmem::Finder;
use regex::Regex;

/// One way a line can match.
enum Test {
    Contains(Box<Finder<'static>>),
    Regex(Regex),
    Pattern(PatternMatcher),
    Ip(IpPattern),
}

impl Test {
    fn matches(&self, line: &str) -> bool {
        match self {
            Test::Contains(f) => f.find(line.as_bytes()).is_some(),
            Test::Regex(r) => r.is_match(line),
            Test::Pattern(p) => p.matches_whole(line),
            Test::Ip(ip) => ip.found_in(line),
        }
    }
}

/// A compiled line filter.
pub struct LineMatcher {
    negated: bool,
    alternatives: Vec<Test>,
}

impl LineMatcher {
    /// Compiles a filter; `ip(…)` goes only with `|=` and `!=`.
    pub fn build(lf: &LineFilter) -> Result<LineMatcher, BuildError> {
        let mut alternatives = Vec::with_capacity(lf.values.len());
        for v in &lf.values {
            alternatives.push(match (v, lf.op) {
                (FilterValue::Ip(p), LineFilterOp::Contains | LineFilterOp::NotContains) => {
                    Test::Ip(IpPattern::parse(p).map_err(BuildError)?)
                }
                (FilterValue::Ip(_), op) => {
                    return Err(BuildError(format!(
                        "ip: invalid operation: ip(…) goes with |= and != only, not {}",
                        op.as_str()
                    )));
                }
                (FilterValue::Text(t), LineFilterOp::Contains | LineFilterOp::NotContains) => {
                    Test::Contains(Box::new(Finder::new(t.as_bytes()).into_owned()))
                }
                (FilterValue::Text(t), LineFilterOp::Matches | LineFilterOp::NotMatches) => {
                    Test::Regex(Regex::new(t).map_err(|e| BuildError(format!("error parsing regexp: {e}")))?)
                }
                (FilterValue::Text(t), _) => Test::Pattern(PatternMatcher::build(t, false)?),
            });
        }
        Ok(LineMatcher {
            negated: lf.op.is_negated(),
            alternatives,
        })
    }

    /// True when the line passes: some alternative matches, or for a negated filter none.
    pub fn keeps(&self, line: &str) -> bool {
        self.alternatives.iter().any(|t| t.matches(line)) != self.negated
    }
}

/// A compiled pattern (`<ip> - <_> "<method> <path>"`).
pub struct PatternMatcher {
    parts: Vec<PatternPart>,
}

impl PatternMatcher {
    /// Compiles `pattern`. With `captures`, it must name at least one capture (the
    /// `pattern` parser); without, it must name none (the `|>` filter).
    pub fn build(pattern: &str, captures: bool) -> Result<PatternMatcher, BuildError> {
        let parts = parse_pattern(pattern).map_err(BuildError)?;
        let named = parts.iter().any(|p| matches!(p, PatternPart::Capture(Some(_))));
        if captures && !named {
            return Err(BuildError("at least one capture is required".into()));
        }
        if !captures && named {
            return Err(BuildError(format!(
                "named captures are not allowed in a pattern filter: {pattern:?}"
            )));
        }
        Ok(PatternMatcher { parts })
    }

    /// Walks the pattern over `line`: literals must appear in order (the first at the start
    /// when the pattern starts with one); a capture takes the text up to the next
    /// literal, or the rest of the line. With `whole`, a final literal must end the line
    /// and every literal must be found; without, a literal that is missing ends the walk
    /// with the pending capture taking the rest of the line, as Loki extracts.
    fn walk<'l>(&self, line: &'l str, whole: bool) -> Option<Vec<(Option<&str>, &'l str)>> {
        let mut pos = 0;
        let mut captures = Vec::new();
        let mut pending: Option<Option<&str>> = None;
        for (i, part) in self.parts.iter().enumerate() {
            match part {
                PatternPart::Capture(name) => pending = Some(name.as_deref()),
                PatternPart::Literal(lit) => {
                    let last = i + 1 == self.parts.len();
                    let found = if whole && last {
                        let end = line.len().checked_sub(lit.len())?;
                        (end >= pos && line.ends_with(lit.as_str())).then_some(end)
                    } else if pending.is_none() {
                        line[pos..].starts_with(lit.as_str()).then_some(pos)
                    } else {
                        line[pos..].find(lit.as_str()).map(|at| pos + at)
                    };
                    let Some(found) = found else {
                        if whole || pending.is_none() {
                            return None;
                        }
                        break;
                    };
                    if pending.is_none() && found != pos {
                        return None;
                    }
                    if let Some(name) = pending.take() {
                        captures.push((name, &line[pos..found]));
                    }
                    pos = found + lit.len();
                }
            }
        }
        if let Some(name) = pending {
            captures.push((name, &line[pos..]));
        }
        Some(captures)
    }

    /// The named captures when the pattern matches `line`.
    pub fn captures<'l>(&self, line: &'l str) -> Option<Vec<(&str, &'l str)>> {
        let found = self.walk(line, false)?;
        Some(found.into_iter().filter_map(|(n, v)| n.map(|n| (n, v))).collect())
    }

    /// True when the pattern matches the whole line.
    pub fn matches_whole(&self, line: &str) -> bool {
        self.walk(line, true).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_capture_between_literals() {
        let p = PatternMatcher::build(r#"<ip> - <_> "<method> <path>""#, true).unwrap();
        let got = p.captures(r#"1.2.3.4 - x "GET /a" 200"#).unwrap();
        assert_eq!(got, [("ip", "1.2.3.4"), ("method", "GET"), ("path", "/a")]);
        assert_eq!(p.captures("nothing").unwrap(), [("ip", "nothing")]);
        let f = PatternMatcher::build("foo <_>", false).unwrap();
        assert!(f.matches_whole("foo bar"));
        assert!(!f.matches_whole("foo"));
        let tail = PatternMatcher::build("<_> foo", false).unwrap();
        assert!(tail.matches_whole("x foo y foo"));
        assert!(!tail.matches_whole("x foo y"));
    }
}
