//! Prometheus' alert templates: Go `text/template` syntax with Prometheus' functions.
//!
//! Rule labels and annotations are templates over the alert's data: `$labels` (the
//! series' labels), `$value`, `$externalLabels` and `$externalURL`, with the functions
//! Prometheus defines (`humanize*`, `printf`, `query` | `first` | `value`, `reReplaceAll`,
//! …). A template is parsed once and executed per alert instance.
//!
//! ```
//! use parquetry_template::{AlertData, Context, Template};
//! let t = Template::parse("t", "{{ $labels.job }} at {{ $value | humanize }}").unwrap();
//! let labels = parquetry_model::Labels::from_pairs([("job", "api")]);
//! let data = AlertData { labels: &labels, external_labels: &Default::default(), external_url: "", value: 1234.0 };
//! let out = t.execute_alert(&data, &Context::without_queries(0)).unwrap();
//! assert_eq!(out, "api at 1.234k");
//! ```

mod exec;
mod funcs;
pub mod gofmt;
mod parse;
pub mod value;

use parquetry_model::Labels;
pub use value::{Sample, Value};

/// Why a template could not be parsed or executed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// The text is not a valid template (`line: message`).
    #[error("template: {0}")]
    Parse(String),
    /// Execution failed (a function error, a missing field, …).
    #[error("template: {0}")]
    Exec(String),
}

/// What a template may consult while it runs.
pub struct Context<'a> {
    /// The evaluation time in milliseconds (`now`, and the time `query` runs at).
    pub time_ms: i64,
    /// The external URL (`externalURL`, `pathPrefix`).
    pub external_url: &'a str,
    /// Runs an instant PromQL query at `time_ms` (the `query` function).
    pub query: &'a dyn Fn(&str) -> Result<Vec<Sample>, String>,
    /// The caller's own functions, consulted before the built-in ones: `None` when the
    /// name is not one of them, else the function's result.
    pub functions: Option<&'a Functions<'a>>,
}

/// A set of template functions: given a name and the evaluated arguments, `None` when
/// the name is not in the set, else what the call gives.
pub type Functions<'a> = dyn Fn(&str, &[Value]) -> Option<Result<Value, String>> + 'a;

impl Context<'static> {
    /// A context whose `query` always fails, for templates evaluated without a data source.
    pub fn without_queries(time_ms: i64) -> Context<'static> {
        Context {
            time_ms,
            external_url: "",
            query: &|_| Err("queries are not available here".to_string()),
            functions: None,
        }
    }
}

/// The data of one alert instance, as Prometheus passes it to label and annotation
/// templates.
pub struct AlertData<'a> {
    /// The series' labels (`$labels`, `.Labels`).
    pub labels: &'a Labels,
    /// External labels (`$externalLabels`).
    pub external_labels: &'a Labels,
    /// External URL (`$externalURL`).
    pub external_url: &'a str,
    /// The sample value (`$value`, `.Value`).
    pub value: f64,
}

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    name: String,
    nodes: Vec<parse::Node>,
    /// The text as written.
    source: String,
    /// The text has no action at all, so executing it returns it unchanged.
    literal: bool,
}

impl Template {
    /// Parses `text`; `name` prefixes error messages (Prometheus uses `__alert_<name>`).
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        let nodes = parse::parse(text).map_err(|e| match e {
            TemplateError::Parse(m) => TemplateError::Parse(format!("{name}:{m}")),
            other => other,
        })?;
        Ok(Template {
            name: name.to_string(),
            nodes,
            source: text.to_string(),
            literal: !text.contains("{{"),
        })
    }

    /// A template that always yields `text` as it is (recording-rule labels are not
    /// templated).
    pub fn literal(text: &str) -> Template {
        Template {
            name: String::new(),
            nodes: vec![parse::Node::Text(text.to_string())],
            source: text.to_string(),
            literal: true,
        }
    }

    /// The text, when the template has no actions.
    pub fn as_literal(&self) -> Option<&str> {
        self.literal.then_some(self.source.as_str())
    }

    /// The text as written, actions and all.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The name of every function the template calls, once each, in order of appearance.
    pub fn functions_called(&self) -> Vec<String> {
        fn walk(nodes: &[parse::Node], out: &mut Vec<String>) {
            for n in nodes {
                match n {
                    parse::Node::Action(p) => pipe(p, out),
                    parse::Node::Branch {
                        cond,
                        then,
                        otherwise,
                        ..
                    } => {
                        pipe(cond, out);
                        walk(then, out);
                        walk(otherwise, out);
                    }
                    parse::Node::Range {
                        pipe: p,
                        body,
                        otherwise,
                    } => {
                        pipe(p, out);
                        walk(body, out);
                        walk(otherwise, out);
                    }
                    parse::Node::Break | parse::Node::Continue | parse::Node::Text(_) => {}
                }
            }
        }
        fn pipe(p: &parse::Pipeline, out: &mut Vec<String>) {
            for a in p.commands.iter().flatten() {
                match a {
                    parse::Arg::Func(f) if !out.contains(f) => out.push(f.clone()),
                    parse::Arg::Pipe(inner, _) => pipe(inner, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.nodes, &mut out);
        out
    }

    /// True when the template calls `query`, so its output depends on stored data.
    pub fn uses_query(&self) -> bool {
        self.functions_called().iter().any(|f| f == "query")
    }

    /// Executes the template with `root` as dot and `$`.
    pub fn execute(&self, root: Value, ctx: &Context<'_>) -> Result<String, TemplateError> {
        self.run(root, Vec::new(), ctx)
    }

    fn run(&self, root: Value, vars: Vec<(&str, Value)>, ctx: &Context<'_>) -> Result<String, TemplateError> {
        if self.literal {
            return Ok(self.source.clone());
        }
        let mut exec = exec::Exec::new(ctx, root.clone());
        for (name, value) in vars {
            exec.declare(name, value);
        }
        exec.run(&self.nodes, &root).map_err(|e| match e {
            TemplateError::Exec(m) => TemplateError::Exec(format!("{}: {m}", self.name)),
            other => other,
        })?;
        Ok(exec.out)
    }

    /// Executes the template for an alert instance, with Prometheus' convenience variables
    /// `$labels`, `$externalLabels`, `$externalURL` and `$value` defined.
    pub fn execute_alert(&self, data: &AlertData<'_>, ctx: &Context<'_>) -> Result<String, TemplateError> {
        let map = |l: &Labels| Value::Map(l.iter().map(|l| (l.name.clone(), l.value.clone())).collect());
        let root = Value::Struct(
            [
                ("Labels".to_string(), map(data.labels)),
                ("ExternalLabels".to_string(), map(data.external_labels)),
                (
                    "ExternalURL".to_string(),
                    Value::Str(data.external_url.to_string()),
                ),
                ("Value".to_string(), Value::Float(data.value)),
            ]
            .into_iter()
            .collect(),
        );
        let vars = [
            ("$labels", "Labels"),
            ("$externalLabels", "ExternalLabels"),
            ("$externalURL", "ExternalURL"),
            ("$value", "Value"),
        ]
        .into_iter()
        .map(|(var, field)| (var, root.field(field).unwrap_or(Value::Nil)))
        .collect();
        self.run(root, vars, ctx)
    }
}

#[cfg(test)]
mod tests;
