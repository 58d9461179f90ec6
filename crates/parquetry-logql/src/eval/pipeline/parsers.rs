//! The parser stages: `json`, `logfmt`, `regexp` and `unpack` (`pattern` shares the line
//! filter's matcher).

use super::{BuildError, RequiredEquality, WantedLabels};
use crate::eval::json_fields::{self, PathStep, Scalar, flatten, sanitized, sanitized_len};
use crate::eval::labels::{LabelsBuilder, Source};
use crate::syntax::ast::{Extraction, Logfmt};
use parquetry_logs::logfmt;
use regex::Regex;
use std::borrow::Cow;

/// The `__error__` value of a line `json` or `unpack` cannot read.
pub const JSON_PARSER_ERR: &str = "JSONParserErr";
/// The `__error__` value of a line `logfmt --strict` cannot read.
pub const LOGFMT_PARSER_ERR: &str = "LogfmtParserErr";

/// `| json` or `| json a="path", …`.
pub struct JsonStage {
    fields: Vec<(String, Vec<PathStep>)>,
    wanted: Option<WantedLabels>,
    then: Option<RequiredEquality>,
}

impl JsonStage {
    /// Compiles the paths. A bare `json` adds only the labels in `wanted`, when given
    /// (the line is still read whole, so a line that is not JSON is still an error).
    /// `then` is the equality the next stage, a label filter, requires: a bare `json`
    /// drops the lines whose text cannot meet it.
    pub fn build(
        fields: &[Extraction],
        wanted: Option<&WantedLabels>,
        then: Option<RequiredEquality>,
    ) -> Result<JsonStage, BuildError> {
        let fields = fields
            .iter()
            .map(|e| {
                let path = e.source.as_deref().unwrap_or(&e.label);
                let steps = json_fields::parse_path(path).map_err(BuildError)?;
                Ok((e.label.clone(), steps))
            })
            .collect::<Result<_, BuildError>>()?;
        Ok(JsonStage {
            fields,
            wanted: wanted.cloned(),
            then,
        })
    }

    /// Adds the line's fields (all, flattened, or the listed paths) as labels; `false`
    /// when the line is dropped instead, as one the next stage's filter would drop
    /// whatever the fields are (the label it reads is not set before this stage, and the
    /// line's text cannot give it the value).
    pub fn apply(&self, line: &str, labels: &mut LabelsBuilder) -> bool {
        if self.fields.is_empty() {
            if let Some(eq) = &self.then
                && labels.get(eq.name()).is_none()
                && !eq.may_hold_json(line)
            {
                return false;
            }
            match flatten(line, self.wanted.as_ref()) {
                Ok(found) => {
                    for (name, value) in found {
                        labels.add(Source::Parsed, &name, &value);
                    }
                }
                Err(e) => labels.set_error(JSON_PARSER_ERR, e),
            }
            return true;
        }
        for (label, path) in &self.fields {
            match json_fields::lookup(line, path) {
                Ok(value) => labels.add(Source::Parsed, label, value.as_deref().unwrap_or("")),
                Err(e) => {
                    labels.set_error(JSON_PARSER_ERR, e);
                    break;
                }
            }
        }
        true
    }
}

/// `| logfmt [--strict] [--keep-empty] [fields]`.
pub struct LogfmtStage {
    options: Logfmt,
    wanted: Option<WantedLabels>,
    then: Option<RequiredEquality>,
}

impl LogfmtStage {
    /// The stage as written. A bare `logfmt` adds only the labels in `wanted`, when given;
    /// `then` is the equality the next stage, a label filter, requires: a bare `logfmt`
    /// drops the lines whose text cannot meet it.
    pub fn build(
        options: &Logfmt,
        wanted: Option<&WantedLabels>,
        then: Option<RequiredEquality>,
    ) -> LogfmtStage {
        LogfmtStage {
            options: options.clone(),
            wanted: wanted.cloned(),
            then,
        }
    }

    /// The label name a bare `logfmt` gives `key`, or `None` when no reader wants it.
    fn name_of<'k>(&self, key: &'k str) -> Option<Cow<'k, str>> {
        let Some(w) = &self.wanted else {
            return Some(sanitized(key));
        };
        if sanitized_len(key).is_some_and(|len| !w.may_want_length(len)) {
            return None;
        }
        Some(sanitized(key)).filter(|name| w.wants(name))
    }

    /// Adds the line's pairs as labels: the first of a repeated key wins, empty values only
    /// with `--keep-empty`; with `--strict`, a malformed line is an error. `false` when the
    /// line is dropped instead, as one the next stage's filter would drop whatever the
    /// pairs are (see [`JsonStage::apply`]).
    pub fn apply(&self, line: &str, labels: &mut LabelsBuilder) -> bool {
        if self.options.fields.is_empty()
            && let Some(eq) = &self.then
            && labels.get(eq.name()).is_none()
            && !eq.may_hold_logfmt(line)
        {
            return false;
        }
        // Reading stops at the first malformed pair; with --strict that is an error.
        let readable = match first_malformed(line) {
            Some((_, e)) if self.options.strict => {
                labels.set_error(LOGFMT_PARSER_ERR, e);
                return true;
            }
            Some((pair_start, _)) => &line[..pair_start],
            None => line,
        };
        // Of a repeated key the first counts; only keys that give a label are kept here.
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in logfmt::pairs(readable) {
            let name = if self.options.fields.is_empty() {
                match self.name_of(key) {
                    Some(name) => name,
                    None => continue,
                }
            } else {
                let wanted = self
                    .options
                    .fields
                    .iter()
                    .find(|f| f.source.as_deref().unwrap_or(&f.label) == key);
                match wanted {
                    Some(f) => Cow::Borrowed(f.label.as_str()),
                    None => continue,
                }
            };
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            if value.is_empty() && !self.options.keep_empty {
                continue;
            }
            labels.add(Source::Parsed, &name, &value);
        }
        true
    }
}

/// Where a line stops following logfmt's grammar (keys without `=` or `"` in them, values
/// bare or quoted with a closing quote): the start of the first malformed pair and what is
/// wrong with it.
fn first_malformed(line: &str) -> Option<(usize, String)> {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] <= b' ' {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i] > b' ' && b[i] != b'=' {
            if b[i] == b'"' {
                return Some((
                    start,
                    format!("logfmt syntax error at pos {}: unexpected '\"'", i + 1),
                ));
            }
            i += 1;
        }
        if i == start {
            return Some((
                start,
                format!("logfmt syntax error at pos {}: unexpected '='", i + 1),
            ));
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            if i < b.len() && b[i] == b'"' {
                i += 1;
                loop {
                    match b.get(i) {
                        None => {
                            return Some((
                                start,
                                format!("logfmt syntax error at pos {}: unterminated quoted value", i + 1),
                            ));
                        }
                        Some(b'\\') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
            } else {
                while i < b.len() && b[i] > b' ' {
                    if matches!(b[i], b'"' | b'=') {
                        return Some((
                            start,
                            format!(
                                "logfmt syntax error at pos {}: unexpected '{}'",
                                i + 1,
                                b[i] as char
                            ),
                        ));
                    }
                    i += 1;
                }
            }
        }
    }
    None
}

/// `| regexp "(?P<name>…)"`.
pub struct RegexpStage {
    regex: Regex,
}

impl RegexpStage {
    /// Compiles the expression.
    pub fn build(re: &str) -> Result<RegexpStage, BuildError> {
        let regex = Regex::new(re).map_err(|e| BuildError(format!("error parsing regexp: {e}")))?;
        Ok(RegexpStage { regex })
    }

    /// Adds the named groups of the first match as labels.
    pub fn apply(&self, line: &str, labels: &mut LabelsBuilder) {
        let Some(caps) = self.regex.captures(line) else {
            return;
        };
        for name in self.regex.capture_names().flatten() {
            let value = caps.name(name).map_or("", |m| m.as_str());
            labels.add(Source::Parsed, name, value);
        }
    }
}

/// `| unpack`: the string members of a JSON line become labels, except `_entry`, which
/// becomes the line (returned).
pub fn unpack(line: &str, labels: &mut LabelsBuilder) -> Option<String> {
    let obj = match json_fields::object(line) {
        Ok(obj) => obj,
        Err(e) => {
            labels.set_error(JSON_PARSER_ERR, e);
            return None;
        }
    };
    let mut entry = None;
    for (key, value) in &obj.0 {
        if let Scalar::Text(s) = json_fields::scalar(value) {
            if key == "_entry" {
                entry = Some(s);
            } else {
                labels.add(Source::Parsed, key, &s);
            }
        }
    }
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_logfmt_refuses_broken_pairs() {
        assert_eq!(first_malformed(r#"a=1 b="two words" c"#), None);
        assert_eq!(first_malformed("=1").map(|e| e.0), Some(0));
        assert_eq!(first_malformed(r#"x=1 a="open"#).map(|e| e.0), Some(4));
        assert_eq!(first_malformed("a=b=c").map(|e| e.0), Some(0));
    }

    #[test]
    fn a_grouped_logfmt_extracts_only_wanted_pairs_and_the_first_of_each() {
        let mut wanted = WantedLabels::default();
        wanted.insert("status");
        wanted.insert("_9x");
        let stage = LogfmtStage::build(&Logfmt::default(), Some(&wanted), None);
        let mut labels = LabelsBuilder::new([("app", "a")], []);
        assert!(stage.apply("status=500 path=/x 9x=y status=200 upstream=api", &mut labels));
        assert_eq!(labels.finish().to_string(), r#"{_9x="y", app="a", status="500"}"#);
    }
}
