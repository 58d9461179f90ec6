//! Rule files in Prometheus' YAML format (with PromQL expressions, or LogQL ones as Loki's
//! ruler reads them): reading, validating, and the checked model.

use crate::locate::Locations;
use crate::template::Template;
use parquetry_model::time::parse_duration;
use parquetry_promql::{Expr, ParseOptions, parse_with};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// Fields the format does not define, kept so they can be reported (or ignored).
type Extra = BTreeMap<String, serde_norway::Value>;

#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    name: String,
    interval: Option<String>,
    query_offset: Option<String>,
    #[serde(default)]
    limit: usize,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    rules: Vec<RawRule>,
    #[serde(flatten)]
    extra: Extra,
}

#[derive(Deserialize)]
struct RawRule {
    record: Option<String>,
    alert: Option<String>,
    expr: Option<String>,
    #[serde(rename = "for")]
    for_: Option<String>,
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    extra: Extra,
}

/// A problem in a rule file, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleFileError {
    /// The file, as given.
    pub file: String,
    /// 1-based line (0 when the problem is about the file as a whole).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RuleFileError {
    /// `file:line:col: message`, as promtool prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}", self.file, self.message),
            (l, 0) => write!(f, "{}:{l}: {}", self.file, self.message),
            (l, c) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
        }
    }
}

/// Every problem found in one or more rule files.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub struct RuleFileErrors(pub Vec<RuleFileError>);

impl fmt::Display for RuleFileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

/// What a rule produces.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleKind {
    /// A recording rule and the metric name it records.
    Record(String),
    /// An alerting rule and its alert name.
    Alert {
        /// The alert name (`alertname` label).
        name: String,
        /// How long the condition must hold before the alert fires (`for`), ms.
        hold_ms: i64,
        /// How long the alert keeps firing after the condition clears, ms.
        keep_firing_for_ms: i64,
        /// Templated annotations, by name.
        annotations: Vec<(String, Template)>,
    },
}

/// The query language of a rule file's expressions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    /// PromQL, as Prometheus' rule files have.
    #[default]
    Promql,
    /// LogQL metric queries, as Loki's ruler reads them.
    Logql,
}

impl std::str::FromStr for Language {
    type Err = String;

    /// `promql` or `logql`.
    fn from_str(s: &str) -> Result<Language, String> {
        match s {
            "promql" => Ok(Language::Promql),
            "logql" => Ok(Language::Logql),
            _ => Err(format!("unknown rule language {s:?}: expected promql or logql")),
        }
    }
}

/// A rule's parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleExpr {
    /// A PromQL expression over the metrics.
    Promql(Expr),
    /// A LogQL metric query over the logs.
    Logql(parquetry_logql::Expr),
}

impl RuleExpr {
    /// The PromQL expression, for a PromQL rule.
    pub fn promql(&self) -> Option<&Expr> {
        match self {
            RuleExpr::Promql(e) => Some(e),
            RuleExpr::Logql(_) => None,
        }
    }
}

/// A checked rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Recording or alerting, with what belongs to each.
    pub kind: RuleKind,
    /// The expression as written.
    pub expr_text: String,
    /// The parsed expression.
    pub expr: RuleExpr,
    /// Labels added to every result (group labels first, the rule's own override them);
    /// templates for alerting rules, literal text for recording rules.
    pub labels: Vec<(String, Template)>,
    /// Line of the rule in its file.
    pub line: usize,
}

impl Rule {
    /// The recorded metric or alert name.
    pub fn name(&self) -> &str {
        match &self.kind {
            RuleKind::Record(n) | RuleKind::Alert { name: n, .. } => n,
        }
    }
}

/// A checked rule group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The group's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// Evaluation interval in ms, when the group sets one.
    pub interval_ms: Option<i64>,
    /// How far before each evaluation time the rules query (`query_offset`), ms.
    pub query_offset_ms: Option<i64>,
    /// Most series (recording) or alerts (alerting) one evaluation may produce; 0 = none.
    pub limit: usize,
    /// The rules in evaluation order.
    pub rules: Vec<Rule>,
}

/// Settings for reading rule files.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoadOptions {
    /// Accept fields the format does not define instead of reporting them.
    pub ignore_unknown_fields: bool,
    /// PromQL options for the expressions.
    pub parse: ParseOptions,
    /// The language of the expressions.
    pub language: Language,
}

/// Checked rule groups from one or more files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleSet {
    /// Groups in file order.
    pub groups: Vec<Group>,
}

impl RuleSet {
    /// Reads and checks rule files; every problem in every file is reported.
    pub fn load(paths: &[impl AsRef<Path>], options: LoadOptions) -> Result<RuleSet, RuleFileErrors> {
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        for path in paths {
            let name = path.as_ref().display().to_string();
            match std::fs::read_to_string(path.as_ref()) {
                Ok(text) => match parse_file(&name, &text, options) {
                    Ok(groups) => set.groups.extend(groups),
                    Err(e) => errors.extend(e.0),
                },
                Err(e) => errors.push(RuleFileError {
                    file: name,
                    line: 0,
                    column: 0,
                    message: e.to_string(),
                }),
            }
        }
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(RuleFileErrors(errors))
        }
    }

    /// Reads and checks rule-file text (`file` names it in errors).
    pub fn parse(file: &str, text: &str, options: LoadOptions) -> Result<RuleSet, RuleFileErrors> {
        Ok(RuleSet {
            groups: parse_file(file, text, options)?,
        })
    }

    /// Number of rules over all groups.
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

struct Checker<'a> {
    file: &'a str,
    loc: Locations,
    errors: Vec<RuleFileError>,
}

impl Checker<'_> {
    fn error(&mut self, line: usize, column: usize, message: impl Into<String>) {
        self.errors.push(RuleFileError {
            file: self.file.to_string(),
            line,
            column,
            message: message.into(),
        });
    }

    fn unknown(&mut self, extra: &Extra, line: usize, what: &str, options: LoadOptions) {
        if options.ignore_unknown_fields {
            return;
        }
        for key in extra.keys() {
            self.error(line, 0, format!("field {key} not found in type {what}"));
        }
    }

    fn duration(&mut self, text: &Option<String>, line: usize, what: &str) -> Option<i64> {
        let text = text.as_deref()?;
        match parse_duration(text) {
            Ok(ms) => Some(ms),
            Err(e) => {
                self.error(line, 0, format!("invalid {what}: {e}"));
                None
            }
        }
    }
}

fn parse_file(file: &str, text: &str, options: LoadOptions) -> Result<Vec<Group>, RuleFileErrors> {
    let raw: RawFile = serde_norway::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        RuleFileErrors(vec![RuleFileError {
            file: file.to_string(),
            line,
            column,
            message: e.to_string(),
        }])
    })?;
    let mut c = Checker {
        file,
        loc: Locations::scan(text),
        errors: Vec::new(),
    };
    c.unknown(&raw.extra, 1, "rulefmt.RuleGroups", options);
    let mut groups = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut rule_index = 0;
    for (gi, g) in raw.groups.into_iter().enumerate() {
        let line = c.loc.group(gi);
        c.unknown(&g.extra, line, "rulefmt.RuleGroup", options);
        if g.name.is_empty() {
            c.error(line, 0, "Groupname must not be empty");
        } else if !seen.insert(g.name.clone()) {
            c.error(
                line,
                0,
                format!("groupname: \"{}\" is repeated in the same file", g.name),
            );
        }
        let interval_ms = c.duration(&g.interval, line, "interval");
        let query_offset_ms = c.duration(&g.query_offset, line, "query_offset");
        if interval_ms == Some(0) {
            c.error(line, 0, "interval must be positive");
        }
        let mut rules = Vec::new();
        for (ri, r) in g.rules.into_iter().enumerate() {
            if let Some(rule) = check_rule(&mut c, &g.name, &g.labels, ri, rule_index, r, options) {
                rules.push(rule);
            }
            rule_index += 1;
        }
        groups.push(Group {
            name: g.name,
            file: file.to_string(),
            interval_ms,
            query_offset_ms,
            limit: g.limit,
            rules,
        });
    }
    if c.errors.is_empty() {
        Ok(groups)
    } else {
        Err(RuleFileErrors(c.errors))
    }
}

fn valid_label_name(name: &str) -> bool {
    !name.is_empty() && name != "__name__"
}

fn check_rule(
    c: &mut Checker<'_>,
    group: &str,
    group_labels: &BTreeMap<String, String>,
    ri: usize,
    index: usize,
    r: RawRule,
    options: LoadOptions,
) -> Option<Rule> {
    let line = c.loc.rule(index);
    let name = r.record.clone().or(r.alert.clone()).unwrap_or_default();
    let at = format!("group \"{group}\", rule {}, \"{name}\"", ri + 1);
    let before = c.errors.len();
    c.unknown(&r.extra, line, "rulefmt.Rule", options);
    match (&r.record, &r.alert) {
        (Some(_), Some(_)) => c.error(
            line,
            0,
            format!("{at}: only one of 'record' and 'alert' must be set"),
        ),
        (None, None) => c.error(line, 0, format!("{at}: one of 'record' or 'alert' must be set")),
        _ => {}
    }
    let (expr_line, expr_col) = c.loc.rule_key(index, "expr");
    let expr_text = r.expr.clone().unwrap_or_default();
    let expr = if expr_text.trim().is_empty() {
        c.error(line, 0, format!("{at}: field 'expr' must be set in rule"));
        None
    } else {
        let parsed = match options.language {
            Language::Promql => parse_with(&expr_text, options.parse).map(RuleExpr::Promql),
            Language::Logql => parquetry_logql::syntax::parse_metric(&expr_text).map(RuleExpr::Logql),
        };
        match parsed {
            Ok(e) => Some(e),
            Err(e) => {
                let message = format!("{}:{}: {}", e.line, e.column, e.message);
                c.error(
                    expr_line,
                    expr_col,
                    format!("{at}: could not parse expression: {message}"),
                );
                None
            }
        }
    };
    let is_record = r.record.is_some();
    if is_record {
        if !r.annotations.is_empty() {
            c.error(
                line,
                0,
                format!("{at}: invalid field 'annotations' in recording rule"),
            );
        }
        if r.for_.is_some() {
            c.error(line, 0, format!("{at}: invalid field 'for' in recording rule"));
        }
        if r.keep_firing_for.is_some() {
            c.error(
                line,
                0,
                format!("{at}: invalid field 'keep_firing_for' in recording rule"),
            );
        }
        if name.is_empty() {
            c.error(line, 0, format!("{at}: invalid recording rule name: {name}"));
        }
    }
    let template_name = format!("__alert_{name}");
    let mut labels = Vec::new();
    let mut merged = group_labels.clone();
    merged.extend(r.labels.clone());
    for (k, v) in merged {
        if !valid_label_name(&k) {
            c.error(line, 0, format!("{at}: invalid label name: {k}"));
            continue;
        }
        let parsed = if is_record {
            Ok(Template::literal(&v))
        } else {
            Template::parse(&template_name, &v)
        };
        match parsed {
            Ok(t) => labels.push((k, t)),
            Err(e) => c.error(line, 0, format!("{at}: label {k:?}: {e}")),
        }
    }
    let mut annotations = Vec::new();
    for (k, v) in &r.annotations {
        if !valid_label_name(k) {
            c.error(line, 0, format!("{at}: invalid annotation name: {k}"));
            continue;
        }
        match Template::parse(&template_name, v) {
            Ok(t) => annotations.push((k.clone(), t)),
            Err(e) => c.error(line, 0, format!("{at}: annotation {k:?}: {e}")),
        }
    }
    let hold_ms = c.duration(&r.for_, line, "for").unwrap_or(0);
    let keep_firing_for_ms = c
        .duration(&r.keep_firing_for, line, "keep_firing_for")
        .unwrap_or(0);
    if c.errors.len() > before {
        return None;
    }
    let kind = if is_record {
        RuleKind::Record(name)
    } else {
        RuleKind::Alert {
            name,
            hold_ms,
            keep_firing_for_ms,
            annotations,
        }
    };
    Some(Rule {
        kind,
        expr_text,
        expr: expr?,
        labels,
        line,
    })
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
