//! The values a template works with, modelled on the Go types Prometheus hands to its
//! templates (`map[string]string` labels, `float64` values, query results).

use super::gofmt;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One element of a `query` result: its labels and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// The series' labels, `__name__` included.
    pub labels: BTreeMap<String, String>,
    /// The sample value.
    pub value: f64,
}

impl Sample {
    /// The sample of a series with these labels and value.
    pub fn new(labels: &parquetry_model::Labels, value: f64) -> Sample {
        Sample {
            labels: labels.iter().map(|l| (l.name.clone(), l.value.clone())).collect(),
            value,
        }
    }
}

/// A template value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Go's `nil`.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer constant.
    Int(i64),
    /// A float (`$value`, numeric constants with a fraction).
    Float(f64),
    /// A string.
    Str(String),
    /// A struct: a missing field is an error.
    Struct(BTreeMap<String, Value>),
    /// A `map[string]string`: a missing key reads as the empty string.
    Map(BTreeMap<String, String>),
    /// A list (a `query` result is a list of samples).
    List(Vec<Value>),
    /// A query result element, with fields `Labels` and `Value`.
    Sample(Sample),
}

impl Value {
    /// Go's truthiness: false, zero, nil and empty values are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Struct(_) | Value::Sample(_) => true,
            Value::Map(m) => !m.is_empty(),
            Value::List(l) => !l.is_empty(),
        }
    }

    /// The Go type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::Struct(_) => "struct",
            Value::Map(_) => "map[string]string",
            Value::List(_) => "slice",
            Value::Sample(_) => "*template.sample",
        }
    }

    /// The field or key `name` of a struct, map or sample.
    pub fn field(&self, name: &str) -> Result<Value, String> {
        match self {
            Value::Struct(fields) => fields
                .get(name)
                .cloned()
                .ok_or_else(|| format!("can't evaluate field {name} in type struct")),
            Value::Map(m) => Ok(Value::Str(m.get(name).cloned().unwrap_or_default())),
            Value::Sample(s) => match name {
                "Labels" => Ok(Value::Map(s.labels.clone())),
                "Value" => Ok(Value::Float(s.value)),
                _ => Err(format!("can't evaluate field {name} in type *template.sample")),
            },
            Value::Nil => Ok(Value::Nil),
            other => Err(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            )),
        }
    }

    /// Writes the value as Go's `fmt.Sprint` would.
    pub fn write_go(&self, out: &mut String) {
        match self {
            Value::Nil => out.push_str("<no value>"),
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&gofmt::format_float_v(*f)),
            Value::Str(s) => out.push_str(s),
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let _ = write!(out, "{k}:{v}");
                }
                out.push(']');
            }
            Value::Struct(fields) => {
                out.push('{');
                for (i, v) in fields.values().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_go(out);
                }
                out.push('}');
            }
            Value::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_go(out);
                }
                out.push(']');
            }
            Value::Sample(s) => {
                out.push('{');
                Value::Map(s.labels.clone()).write_go(out);
                out.push(' ');
                out.push_str(&gofmt::format_float_v(s.value));
                out.push('}');
            }
        }
    }

    /// The value as Go's `fmt.Sprint` prints it.
    pub fn to_go_string(&self) -> String {
        let mut s = String::new();
        self.write_go(&mut s);
        s
    }
}
