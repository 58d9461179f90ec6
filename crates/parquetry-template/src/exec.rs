//! Executing a parsed template against data, with Prometheus' function set.

use super::funcs;
use super::parse::{Arg, Node, Pipeline};
use super::value::Value;
use super::{Context, TemplateError};

/// Most nodes one execution may visit: a guard against runaway `range` loops.
const MAX_STEPS: usize = 1_000_000;

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(super) struct Exec<'a> {
    pub ctx: &'a Context<'a>,
    vars: Vec<(String, Value)>,
    pub out: String,
    steps: usize,
}

fn fail(msg: impl Into<String>) -> TemplateError {
    TemplateError::Exec(msg.into())
}

impl<'a> Exec<'a> {
    pub fn new(ctx: &'a Context<'a>, root: Value) -> Exec<'a> {
        Exec {
            ctx,
            vars: vec![("$".to_string(), root)],
            out: String::new(),
            steps: 0,
        }
    }

    /// Binds a variable for the whole execution.
    pub fn declare(&mut self, name: &str, value: Value) {
        self.vars.push((name.to_string(), value));
    }

    pub fn run(&mut self, nodes: &[Node], dot: &Value) -> Result<(), TemplateError> {
        self.nodes(nodes, dot).map(|_| ())
    }

    fn nodes(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow, TemplateError> {
        for node in nodes {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(fail("template executes too many steps"));
            }
            match node {
                Node::Text(t) => self.out.push_str(t),
                Node::Action(pipe) => {
                    let v = self.pipeline(pipe, dot)?;
                    if pipe.vars.is_empty() {
                        v.write_go(&mut self.out);
                    }
                }
                Node::Branch {
                    with,
                    cond,
                    then,
                    otherwise,
                } => {
                    let mark = self.vars.len();
                    let v = self.pipeline(cond, dot)?;
                    let flow = if v.truthy() {
                        let inner = if *with { v } else { dot.clone() };
                        self.nodes(then, &inner)?
                    } else {
                        self.nodes(otherwise, dot)?
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range {
                    pipe,
                    body,
                    otherwise,
                } => {
                    let mark = self.vars.len();
                    let collection = self.pipeline_value(pipe, dot)?;
                    let items: Vec<(Value, Value)> = match collection {
                        Value::List(l) => l
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Value::Int(i as i64), v))
                            .collect(),
                        Value::Map(m) => m
                            .into_iter()
                            .map(|(k, v)| (Value::Str(k), Value::Str(v)))
                            .collect(),
                        Value::Int(n) => (0..n.max(0)).map(|i| (Value::Int(i), Value::Int(i))).collect(),
                        Value::Nil => Vec::new(),
                        other => {
                            return Err(fail(format!("range can't iterate over {}", other.to_go_string())));
                        }
                    };
                    if items.is_empty() {
                        self.nodes(otherwise, dot)?;
                    }
                    for (key, item) in items {
                        match pipe.vars.as_slice() {
                            [e] => self.vars.push((e.clone(), item.clone())),
                            [k, e] => {
                                self.vars.push((k.clone(), key));
                                self.vars.push((e.clone(), item.clone()));
                            }
                            _ => {}
                        }
                        let flow = self.nodes(body, &item)?;
                        self.vars.truncate(mark);
                        if matches!(flow, Flow::Break) {
                            break;
                        }
                    }
                    self.vars.truncate(mark);
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn lookup(&self, name: &str) -> Result<Value, TemplateError> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| fail(format!("undefined variable: {name}")))
    }

    /// The value of a range's collection (variables are bound per element, not here).
    fn pipeline_value(&mut self, pipe: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.commands {
            value = Some(self.command(cmd, dot, value)?);
        }
        Ok(value.unwrap_or(Value::Nil))
    }

    fn pipeline(&mut self, pipe: &Pipeline, dot: &Value) -> Result<Value, TemplateError> {
        let value = self.pipeline_value(pipe, dot)?;
        if let Some(name) = pipe.vars.first() {
            if pipe.assign {
                let slot = self
                    .vars
                    .iter_mut()
                    .rev()
                    .find(|(n, _)| n == name)
                    .ok_or_else(|| fail(format!("undefined variable: {name}")))?;
                slot.1 = value.clone();
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn fields(mut v: Value, names: &[String]) -> Result<Value, TemplateError> {
        for n in names {
            v = v.field(n).map_err(fail)?;
        }
        Ok(v)
    }

    fn arg(&mut self, arg: &Arg, dot: &Value) -> Result<Value, TemplateError> {
        Ok(match arg {
            Arg::Field(names) => Self::fields(dot.clone(), names)?,
            Arg::Var(name, names) => Self::fields(self.lookup(name)?, names)?,
            Arg::Str(s) => Value::Str(s.clone()),
            Arg::Int(i) => Value::Int(*i),
            Arg::Float(f) => Value::Float(*f),
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Nil => Value::Nil,
            Arg::Pipe(p, names) => {
                let mark = self.vars.len();
                let v = self.pipeline(p, dot)?;
                self.vars.truncate(mark);
                Self::fields(v, names)?
            }
            Arg::Func(name) => self.call(name, &[], dot)?,
        })
    }

    fn command(&mut self, cmd: &[Arg], dot: &Value, piped: Option<Value>) -> Result<Value, TemplateError> {
        match &cmd[0] {
            Arg::Func(name) => {
                if name == "and" || name == "or" {
                    return self.logic(name == "and", &cmd[1..], dot, piped);
                }
                let mut args = Vec::with_capacity(cmd.len());
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot)?);
                }
                args.extend(piped);
                self.call_values(name, args)
            }
            first => {
                if cmd.len() > 1 || piped.is_some() {
                    return Err(fail(format!("can't give argument to non-function {first:?}")));
                }
                self.arg(first, dot)
            }
        }
    }

    /// `and`/`or` stop at the first argument that decides the result, as Go does.
    fn logic(
        &mut self,
        and: bool,
        args: &[Arg],
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, TemplateError> {
        let count = args.len() + usize::from(piped.is_some());
        if count == 0 {
            return Err(fail("wrong number of args: want at least 1 got 0"));
        }
        let mut last = Value::Nil;
        for a in args {
            last = self.arg(a, dot)?;
            if last.truthy() != and {
                return Ok(last);
            }
        }
        Ok(piped.unwrap_or(last))
    }

    fn call(&mut self, name: &str, args: &[Arg], dot: &Value) -> Result<Value, TemplateError> {
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.arg(a, dot)?);
        }
        self.call_values(name, values)
    }

    fn call_values(&mut self, name: &str, args: Vec<Value>) -> Result<Value, TemplateError> {
        if let Some(result) = self.ctx.functions.and_then(|f| f(name, &args)) {
            return result.map_err(|e| fail(format!("error calling {name}: {e}")));
        }
        match name {
            "query" => {
                let [Value::Str(q)] = args.as_slice() else {
                    return Err(fail("query: want one string argument"));
                };
                let samples = (self.ctx.query)(q).map_err(|e| fail(format!("error executing query: {e}")))?;
                Ok(Value::List(samples.into_iter().map(Value::Sample).collect()))
            }
            "externalURL" => Ok(Value::Str(self.ctx.external_url.to_string())),
            "pathPrefix" => Ok(Value::Str(url_path(self.ctx.external_url))),
            "now" => Ok(Value::Float(self.ctx.time_ms as f64 / 1000.0)),
            _ => funcs::call(name, args).map_err(|e| fail(format!("error calling {name}: {e}"))),
        }
    }
}

fn url_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    after_scheme
        .find('/')
        .map_or(String::new(), |i| after_scheme[i..].to_string())
}
