//! `line_format` and `label_format`: Go templates over the line's labels, with Loki's
//! functions. A template that fails while running leaves the line and labels as they
//! were and marks the line with `TemplateFormatErr`.

use super::BuildError;
use crate::eval::labels::{LabelsBuilder, Source};
use crate::eval::template_funcs::{self, LineContext};
use crate::syntax::ast::LabelFormat;
use parquetry_template::{Context, Template, Value};
use std::collections::BTreeMap;

/// The `__error__` value of a line whose template failed.
pub const TEMPLATE_FORMAT_ERR: &str = "TemplateFormatErr";

/// Parses `text` and checks that it calls only functions Loki knows.
fn compile(name: &str, text: &str) -> Result<Template, BuildError> {
    let t = Template::parse(name, text).map_err(|e| BuildError(e.to_string()))?;
    if let Some(f) = t
        .functions_called()
        .into_iter()
        .find(|f| !template_funcs::is_defined(f))
    {
        return Err(BuildError(format!(
            "template: {name}: function {f:?} not defined"
        )));
    }
    Ok(t)
}

/// Runs `t` with the labels as dot.
fn run(t: &Template, timestamp: i64, line: &str, labels: &LabelsBuilder) -> Result<String, String> {
    let dot: BTreeMap<String, String> = labels
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let ctx = LineContext { line, timestamp };
    let functions = |name: &str, args: &[Value]| template_funcs::call(&ctx, name, args);
    let context = Context {
        time_ms: timestamp.div_euclid(1_000_000),
        external_url: "",
        query: &|_| Err("queries are not available in log templates".to_string()),
        functions: Some(&functions),
    };
    t.execute(Value::Map(dot), &context).map_err(|e| e.to_string())
}

/// `| line_format "…"`.
pub struct LineFormatStage {
    template: Template,
}

impl LineFormatStage {
    /// Compiles the template.
    pub fn build(text: &str) -> Result<LineFormatStage, BuildError> {
        Ok(LineFormatStage {
            template: compile("line", text)?,
        })
    }

    /// Replaces the line with the template's output.
    pub fn apply(&self, timestamp: i64, line: &mut String, labels: &mut LabelsBuilder) {
        match run(&self.template, timestamp, line, labels) {
            Ok(out) => *line = out,
            Err(e) => labels.set_error(TEMPLATE_FORMAT_ERR, e),
        }
    }
}

enum Item {
    Rename { dst: String, src: String },
    Template { dst: String, template: Template },
}

/// `| label_format a=b, c="{{…}}"`.
pub struct LabelFormatStage {
    items: Vec<Item>,
}

impl LabelFormatStage {
    /// Compiles the templates; one stage sets each name once, and never `__error__`.
    pub fn build(items: &[LabelFormat]) -> Result<LabelFormatStage, BuildError> {
        let mut seen = Vec::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let dst = item.dst();
            if dst == crate::eval::labels::ERROR_LABEL {
                return Err(BuildError(format!("{dst} cannot be set by label_format")));
            }
            if seen.contains(&dst) {
                return Err(BuildError(format!(
                    "multiple label name '{dst}' in the same label_format stage"
                )));
            }
            seen.push(dst);
            out.push(match item {
                LabelFormat::Rename { dst, src } => Item::Rename {
                    dst: dst.clone(),
                    src: src.clone(),
                },
                LabelFormat::Template { dst, template } => Item::Template {
                    dst: dst.clone(),
                    template: compile("label", template)?,
                },
            });
        }
        Ok(LabelFormatStage { items: out })
    }

    /// Computes every item from the labels as they were before the stage, then applies
    /// them: a rename moves the value (removing the old name), a template sets its output.
    pub fn apply(&self, timestamp: i64, line: &str, labels: &mut LabelsBuilder) {
        let mut updates = Vec::with_capacity(self.items.len());
        for item in &self.items {
            match item {
                Item::Rename { dst, src } => {
                    let value = labels.get(src).unwrap_or("").to_string();
                    updates.push((dst, value, Some(src)));
                }
                Item::Template { dst, template } => match run(template, timestamp, line, labels) {
                    Ok(value) => updates.push((dst, value, None)),
                    Err(e) => {
                        labels.set_error(TEMPLATE_FORMAT_ERR, e);
                        return;
                    }
                },
            }
        }
        for (dst, _, src) in &updates {
            if let Some(src) = src.filter(|src| src != dst) {
                labels.remove(src);
            }
        }
        for (dst, value, _) in updates {
            labels.set(dst, &value, Source::Parsed);
        }
    }
}
