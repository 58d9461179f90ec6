//! A log pipeline compiled for running: each stage of the tree becomes a step that reads
//! and changes one line and its labels, with Loki's semantics (a failing stage marks the
//! line with `__error__` and keeps it; only filters drop lines).

mod formats;
mod label_filter;
mod line_filter;
mod parsers;
mod prefilter;
mod stream_run;
mod wanted;

use super::labels::{LabelsBuilder, Source};
use crate::syntax::ast::{FilterValue, LabelFilter, LabelSelection, LineFilterOp, Stage};
use formats::{LabelFormatStage, LineFormatStage};
use label_filter::CompiledLabelFilter;
use line_filter::LineMatcher;
pub use line_filter::PatternMatcher;
use parsers::{JsonStage, LogfmtStage, RegexpStage};
use prefilter::RequiredEquality;
use regex::Regex;
use std::sync::LazyLock;
pub use stream_run::StreamRun;
pub use wanted::WantedLabels;

/// A pipeline that cannot run: a regular expression, pattern, address or path is invalid,
/// or the stage is not supported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

enum Step {
    Line(LineMatcher),
    Json(Box<JsonStage>),
    Logfmt(Box<LogfmtStage>),
    Regexp(RegexpStage),
    Pattern(PatternMatcher),
    Unpack,
    Labels(CompiledLabelFilter),
    LineFormat(LineFormatStage),
    LabelFormat(LabelFormatStage),
    Decolorize,
    Drop(Vec<LabelSelection>),
    Keep(Vec<LabelSelection>),
}

/// A compiled pipeline.
pub struct Pipeline {
    steps: Vec<Step>,
}

/// ANSI escape sequences (colours, cursor moves) as terminals write them.
static ANSI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]").expect("valid regex"));

impl Pipeline {
    /// Compiles `stages`.
    pub fn build(stages: &[Stage]) -> Result<Pipeline, BuildError> {
        Pipeline::build_for(stages, None)
    }

    /// Compiles `stages` for a reader of only the labels in `wanted`, when given: a bare
    /// `json` then extracts only those fields.
    pub fn build_for(stages: &[Stage], wanted: Option<&WantedLabels>) -> Result<Pipeline, BuildError> {
        // The equality the stage after stage `i` requires, when that stage is a label filter.
        let then = |i: usize| match stages.get(i + 1) {
            Some(Stage::LabelFilter(f)) => RequiredEquality::required_by(f),
            _ => None,
        };
        let steps = stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                Ok(match stage {
                    Stage::LineFilter(lf) => Step::Line(LineMatcher::build(lf)?),
                    Stage::Json(fields) => Step::Json(Box::new(JsonStage::build(fields, wanted, then(i))?)),
                    Stage::Logfmt(l) => Step::Logfmt(Box::new(LogfmtStage::build(l, wanted, then(i)))),
                    Stage::Regexp(re) => Step::Regexp(RegexpStage::build(re)?),
                    Stage::Pattern(p) => Step::Pattern(PatternMatcher::build(p, true)?),
                    Stage::Unpack => Step::Unpack,
                    Stage::LabelFilter(f) => Step::Labels(CompiledLabelFilter::build(f)?),
                    Stage::Decolorize => Step::Decolorize,
                    Stage::Drop(items) => Step::Drop(items.clone()),
                    Stage::Keep(items) => Step::Keep(items.clone()),
                    Stage::LabelFormat(items) => Step::LabelFormat(LabelFormatStage::build(items)?),
                    Stage::LineFormat(t) => Step::LineFormat(LineFormatStage::build(t)?),
                })
            })
            .collect::<Result<Vec<Step>, BuildError>>()?;
        Ok(Pipeline { steps })
    }

    /// Runs the pipeline over one line written at `timestamp` (nanoseconds): `false` when
    /// a filter drops it. The line may be rewritten (`unpack`, `decolorize`,
    /// `line_format`); the labels gain and lose what the stages say.
    pub fn process(&self, timestamp: i64, line: &mut String, labels: &mut LabelsBuilder) -> bool {
        for step in &self.steps {
            match step {
                Step::Line(m) => {
                    if !m.keeps(line) {
                        return false;
                    }
                }
                Step::Json(j) => {
                    if !j.apply(line, labels) {
                        return false;
                    }
                }
                Step::Logfmt(l) => {
                    if !l.apply(line, labels) {
                        return false;
                    }
                }
                Step::Regexp(r) => r.apply(line, labels),
                Step::Pattern(p) => {
                    if let Some(captures) = p.captures(line) {
                        for (name, value) in captures {
                            labels.add(Source::Parsed, name, value);
                        }
                    }
                }
                Step::Unpack => {
                    if let Some(entry) = parsers::unpack(line, labels) {
                        *line = entry;
                    }
                }
                Step::Labels(f) => {
                    if !f.keeps(labels) {
                        return false;
                    }
                }
                Step::LineFormat(f) => f.apply(timestamp, line, labels),
                Step::LabelFormat(f) => f.apply(timestamp, line, labels),
                Step::Decolorize => {
                    if line.contains('\x1b') {
                        *line = ANSI.replace_all(line, "").into_owned();
                    }
                }
                Step::Drop(items) => {
                    for item in items {
                        match item {
                            LabelSelection::Name(n) => labels.remove(n),
                            LabelSelection::Matcher(m) => {
                                if labels.get(&m.name).is_some_and(|v| m.matches(v)) {
                                    labels.remove(&m.name);
                                }
                            }
                        }
                    }
                }
                Step::Keep(items) => labels.retain(|name, value| {
                    items.iter().any(|item| match item {
                        LabelSelection::Name(n) => n == name,
                        LabelSelection::Matcher(m) => m.name == name && m.matches(value),
                    })
                }),
            }
        }
        true
    }
}

/// Substrings every line that `stages` keep contains in the form it was stored: the
/// values of `|= "text"` filters (without `or`) that come before any stage rewriting the
/// line. A store may skip whatever cannot contain them; the pipeline still checks.
pub fn required_substrings(stages: &[Stage]) -> Vec<String> {
    let mut out = Vec::new();
    for stage in stages {
        match stage {
            Stage::LineFormat(_) | Stage::Decolorize | Stage::Unpack => break,
            Stage::LineFilter(f) if f.op == LineFilterOp::Contains => {
                if let [FilterValue::Text(text)] = f.values.as_slice()
                    && !text.is_empty()
                {
                    out.push(text.clone());
                }
            }
            _ => {}
        }
    }
    out
}

/// The label filters after an `unwrap`, compiled.
#[derive(Default)]
pub struct CompiledLabelFilters(Vec<CompiledLabelFilter>);

impl CompiledLabelFilters {
    /// Compiles `filters`.
    pub fn build(filters: &[LabelFilter]) -> Result<CompiledLabelFilters, BuildError> {
        filters
            .iter()
            .map(CompiledLabelFilter::build)
            .collect::<Result<_, _>>()
            .map(CompiledLabelFilters)
    }

    /// True when the line passes every filter.
    pub fn keep(&self, labels: &mut LabelsBuilder) -> bool {
        self.0.iter().all(|f| f.keeps(labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_log;

    fn run(pipeline: &str, line: &str) -> (bool, String) {
        let log = parse_log(&format!("{{app=\"a\"}} {pipeline}")).unwrap();
        let p = Pipeline::build(&log.pipeline).unwrap();
        let mut labels = LabelsBuilder::new([("app", "a")], []);
        let mut line = line.to_string();
        let kept = p.process(0, &mut line, &mut labels);
        (kept, labels.finish().to_string())
    }

    #[test]
    fn only_filters_on_the_stored_line_give_needles() {
        let needles = |q: &str| required_substrings(&parse_log(q).unwrap().pipeline);
        assert_eq!(
            needles(
                r#"{a="b"} |= "x" | json | y="1" |= "z" != "w" |= "p" or "q" |~ "r" | line_format "{{.y}}" |= "after""#
            ),
            ["x", "z"]
        );
        assert!(needles(r#"{a="b"} | unpack |= "x""#).is_empty());
        assert!(needles(r#"{a="b"} |= """#).is_empty());
    }

    #[test]
    fn a_failed_conversion_keeps_the_line_marked() {
        let (kept, labels) = run("| logfmt | x > 1s and y > 1s", "x=nope y=90");
        assert!(kept, "{labels}");
        assert!(labels.contains("LabelFilterErr"), "{labels}");
        let (kept, _) = run("| logfmt | took > 1s | __error__ > 0", "took=oops");
        assert!(!kept);
    }
}
