//! The values of fields, and how TraceQL compares them and computes with them.
//!
//! A missing attribute is `nil`: every comparison with it is false, except `= nil`.
//! Integers, floats and durations compare as numbers; strings compare as text and by
//! fully anchored regular expressions; booleans, statuses and kinds by equality. Values
//! of different types are never equal and never different: the comparison is false.
//! A field with several values (an array attribute, the events or links of a span)
//! matches `=`, `=~`, `<` … when any value does, and `!=`, `!~` when none is equal or
//! matches.

use crate::syntax::ast::BinaryOp;
use parquetry_spans::{AnyValue, SpanKind, StatusCode};
use regex::Regex;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A field's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    /// No value.
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Str(Cow<'a, str>),
    /// A duration, ns.
    Duration(i64),
    /// A span status.
    Status(StatusCode),
    /// A span kind.
    Kind(SpanKind),
    /// Several values (an array, or one per event or link).
    Many(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// The value of an attribute as OTLP typed it; key-value lists and bytes have none.
    pub fn of_any(v: &'a AnyValue) -> Value<'a> {
        match v {
            AnyValue::String(s) => Value::Str(Cow::Borrowed(s)),
            AnyValue::Bool(b) => Value::Bool(*b),
            AnyValue::Int(n) => Value::Int(*n),
            AnyValue::Double(d) => Value::Float(*d),
            AnyValue::Array(items) => Value::Many(items.iter().map(Value::of_any).collect()),
            AnyValue::Empty | AnyValue::Bytes(_) | AnyValue::KvList(_) => Value::Nil,
        }
    }

    /// True only for the boolean `true`: the spans a condition selects.
    pub fn is_true(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// The value as a number, if it is one (a duration in ns).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) | Value::Duration(n) => Some(*n as f64),
            Value::Float(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as text, for labels and grouping: `nil` for no value.
    pub fn to_text(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(v) => v.to_string(),
            Value::Str(s) => s.to_string(),
            Value::Duration(n) => parquetry_model::go_duration::format_duration(*n),
            Value::Status(s) => s.name().into(),
            Value::Kind(k) => k.name().into(),
            Value::Many(items) => {
                let texts: Vec<String> = items.iter().map(Value::to_text).collect();
                format!("[{}]", texts.join(", "))
            }
        }
    }

    /// The same value owning its text.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Nil => Value::Nil,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(n) => Value::Int(n),
            Value::Float(v) => Value::Float(v),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Duration(n) => Value::Duration(n),
            Value::Status(s) => Value::Status(s),
            Value::Kind(k) => Value::Kind(k),
            Value::Many(items) => Value::Many(items.into_iter().map(Value::into_owned).collect()),
        }
    }
}

/// The result of comparison `op` between `l` and `r`. `nil_literal` says which sides are
/// the literal `nil` (so that `!= nil` selects the fields that have a value); `regex` is
/// the compiled right side of `=~` and `!~`.
pub fn compare(
    l: &Value<'_>,
    op: BinaryOp,
    r: &Value<'_>,
    nil_literal: (bool, bool),
    regex: Option<&Regex>,
) -> bool {
    let negative = matches!(op, BinaryOp::Ne | BinaryOp::NotMatch);
    match (l, r) {
        (Value::Many(items), _) => {
            let one = |v: &Value<'_>| compare(v, op, r, nil_literal, regex);
            if negative {
                !items.is_empty() && items.iter().all(one)
            } else {
                items.iter().any(one)
            }
        }
        (_, Value::Many(items)) => {
            let one = |v: &Value<'_>| compare(l, op, v, nil_literal, regex);
            if negative {
                !items.is_empty() && items.iter().all(one)
            } else {
                items.iter().any(one)
            }
        }
        (Value::Nil, Value::Nil) => op == BinaryOp::Eq,
        (Value::Nil, _) => nil_literal.0 && op == BinaryOp::Ne,
        (_, Value::Nil) => nil_literal.1 && op == BinaryOp::Ne,
        (Value::Str(a), Value::Str(b)) => match op {
            BinaryOp::Match | BinaryOp::NotMatch => {
                let matched = match regex {
                    Some(re) => re.is_match(a),
                    None => anchored(b).is_ok_and(|re| re.is_match(a)),
                };
                matched == (op == BinaryOp::Match)
            }
            _ => ordered(op, a.as_ref().cmp(b.as_ref())),
        },
        (Value::Bool(a), Value::Bool(b)) => equality(op, a == b),
        (Value::Status(a), Value::Status(b)) => equality(op, a == b),
        (Value::Kind(a), Value::Kind(b)) => equality(op, a == b),
        (Value::Int(a) | Value::Duration(a), Value::Int(b) | Value::Duration(b)) => ordered(op, a.cmp(b)),
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ordered(op, o)),
            _ => false,
        },
    }
}

/// A pattern compiled as TraceQL matches it: anchored at both ends, `.` matching line
/// breaks.
pub fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?s:{pattern})$"))
}

fn equality(op: BinaryOp, equal: bool) -> bool {
    match op {
        BinaryOp::Eq => equal,
        BinaryOp::Ne => !equal,
        _ => false,
    }
}

fn ordered(op: BinaryOp, o: Ordering) -> bool {
    match op {
        BinaryOp::Eq => o == Ordering::Equal,
        BinaryOp::Ne => o != Ordering::Equal,
        BinaryOp::Lt => o == Ordering::Less,
        BinaryOp::Le => o != Ordering::Greater,
        BinaryOp::Gt => o == Ordering::Greater,
        BinaryOp::Ge => o != Ordering::Less,
        _ => false,
    }
}

/// Arithmetic `op` between two values: integers stay integers (but for `/` and `^`),
/// durations stay durations when added to, subtracted from, or scaled by numbers, and
/// anything else that is a number gives a float. Other values give `nil`.
pub fn arithmetic(l: &Value<'_>, op: BinaryOp, r: &Value<'_>) -> Value<'static> {
    use Value::{Duration, Float, Int};
    match (l, r, op) {
        (Int(a), Int(b), BinaryOp::Add) => a.checked_add(*b).map_or(Value::Nil, Int),
        (Int(a), Int(b), BinaryOp::Sub) => a.checked_sub(*b).map_or(Value::Nil, Int),
        (Int(a), Int(b), BinaryOp::Mul) => a.checked_mul(*b).map_or(Value::Nil, Int),
        (Int(a), Int(b), BinaryOp::Mod) => a.checked_rem(*b).map_or(Value::Nil, Int),
        (Duration(a), Duration(b), BinaryOp::Add) => Duration(a.saturating_add(*b)),
        (Duration(a), Duration(b), BinaryOp::Sub) => Duration(a.saturating_sub(*b)),
        (Duration(a), Int(_) | Float(_), BinaryOp::Mul | BinaryOp::Div) => {
            let b = r.as_f64().unwrap_or(f64::NAN);
            let v = if op == BinaryOp::Mul {
                *a as f64 * b
            } else {
                *a as f64 / b
            };
            if v.is_finite() {
                Duration(v as i64)
            } else {
                Value::Nil
            }
        }
        (Int(_) | Float(_), Duration(b), BinaryOp::Mul) => {
            let v = l.as_f64().unwrap_or(f64::NAN) * *b as f64;
            if v.is_finite() {
                Duration(v as i64)
            } else {
                Value::Nil
            }
        }
        _ => match (l.as_f64(), r.as_f64()) {
            (Some(a), Some(b)) => Float(match op {
                BinaryOp::Add => a + b,
                BinaryOp::Sub => a - b,
                BinaryOp::Mul => a * b,
                BinaryOp::Div => a / b,
                BinaryOp::Mod => a % b,
                BinaryOp::Pow => a.powf(b),
                _ => return Value::Nil,
            }),
            _ => Value::Nil,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(text))
    }

    #[test]
    fn missing_values_compare_false_but_for_nil() {
        assert!(!compare(&Value::Nil, BinaryOp::Ne, &s("x"), (false, false), None));
        assert!(!compare(&Value::Nil, BinaryOp::Eq, &s("x"), (false, false), None));
        assert!(compare(
            &Value::Nil,
            BinaryOp::Eq,
            &Value::Nil,
            (false, true),
            None
        ));
        assert!(compare(&s("x"), BinaryOp::Ne, &Value::Nil, (false, true), None));
        assert!(!compare(&s("x"), BinaryOp::Eq, &Value::Nil, (false, true), None));
    }

    #[test]
    fn numbers_compare_across_types_and_other_types_never_do() {
        assert!(compare(
            &Value::Int(2),
            BinaryOp::Lt,
            &Value::Float(2.5),
            (false, false),
            None
        ));
        assert!(compare(
            &Value::Duration(5),
            BinaryOp::Eq,
            &Value::Int(5),
            (false, false),
            None
        ));
        assert!(!compare(
            &Value::Int(5),
            BinaryOp::Ne,
            &s("5"),
            (false, false),
            None
        ));
        assert!(compare(&s("b"), BinaryOp::Gt, &s("a"), (false, false), None));
    }

    #[test]
    fn regexes_are_anchored_and_many_values_match_any_or_none() {
        assert!(compare(
            &s("GET"),
            BinaryOp::Match,
            &s("G.*"),
            (false, false),
            None
        ));
        assert!(!compare(
            &s("xGET"),
            BinaryOp::Match,
            &s("G.*"),
            (false, false),
            None
        ));
        let many = Value::Many(vec![s("a"), s("b")]);
        assert!(compare(&many, BinaryOp::Eq, &s("b"), (false, false), None));
        assert!(!compare(&many, BinaryOp::Ne, &s("b"), (false, false), None));
        assert!(compare(&many, BinaryOp::Ne, &s("c"), (false, false), None));
        assert!(!compare(
            &Value::Many(vec![]),
            BinaryOp::Ne,
            &s("c"),
            (false, false),
            None
        ));
    }

    #[test]
    fn arithmetic_keeps_integers_and_durations() {
        assert_eq!(
            arithmetic(&Value::Int(7), BinaryOp::Mod, &Value::Int(4)),
            Value::Int(3)
        );
        assert_eq!(
            arithmetic(&Value::Int(7), BinaryOp::Div, &Value::Int(2)),
            Value::Float(3.5)
        );
        assert_eq!(
            arithmetic(&Value::Duration(10), BinaryOp::Mul, &Value::Int(3)),
            Value::Duration(30)
        );
        assert_eq!(arithmetic(&s("a"), BinaryOp::Add, &Value::Int(1)), Value::Nil);
        assert_eq!(
            arithmetic(&Value::Int(1), BinaryOp::Mod, &Value::Int(0)),
            Value::Nil
        );
    }
}
