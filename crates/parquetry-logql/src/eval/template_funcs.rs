//! The functions `line_format` and `label_format` templates may call: Loki's own
//! (`ToUpper`, `regexReplaceAll`, `__line__`, `unixEpoch`, …) and the Sprig functions Loki
//! includes (`default`, `replace`, `addf`, `trunc`, …). Go's builtins (`printf`, `eq`,
//! `len`, …) come with the template engine.

use super::json_fields::{self, Scalar};
use super::values::{parse_value_bytes, parse_value_duration, parse_value_float};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parquetry_model::go_time::{format_layout, parse_layout};
use parquetry_template::Value;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use regex::Regex;

/// What Go's `url.QueryEscape` escapes: everything but letters, digits and `-_.~`.
const QUERY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Go's template builtins, which the engine provides.
const GO_BUILTINS: [&str; 19] = [
    "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
    "html", "js", "urlquery", "slice", "call",
];

/// The functions this module provides.
const FUNCTIONS: [&str; 66] = [
    "__line__",
    "__timestamp__",
    "ToLower",
    "ToUpper",
    "lower",
    "upper",
    "title",
    "Replace",
    "replace",
    "Trim",
    "TrimLeft",
    "TrimRight",
    "TrimPrefix",
    "TrimSuffix",
    "TrimSpace",
    "trim",
    "trimAll",
    "trimPrefix",
    "trimSuffix",
    "repeat",
    "substr",
    "trunc",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "indent",
    "nindent",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "count",
    "urlencode",
    "urldecode",
    "b64enc",
    "b64dec",
    "alignLeft",
    "alignRight",
    "default",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "addf",
    "subf",
    "mulf",
    "divf",
    "max",
    "min",
    "maxf",
    "minf",
    "ceil",
    "floor",
    "round",
    "int",
    "float64",
    "bytes",
    "duration",
    "duration_seconds",
    "unixEpoch",
    "unixEpochMillis",
    "unixEpochNanos",
    "unixToTime",
    "now",
    "toDate",
    "date",
    "fromJson",
];

/// True when a template may call `name`.
pub fn is_defined(name: &str) -> bool {
    GO_BUILTINS.contains(&name) || FUNCTIONS.contains(&name)
}

/// The line and time a template runs for.
pub struct LineContext<'a> {
    /// The line as the stage sees it.
    pub line: &'a str,
    /// The entry's time, nanoseconds since the epoch.
    pub timestamp: i64,
}

/// A time value: Go's templates print `time.Time` with its own layout; here a time
/// travels as its nanoseconds and prints as Unix seconds.
fn time_value(nanos: i64) -> Value {
    Value::Int(nanos)
}

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        other => other.to_go_string(),
    }
}

fn float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Nil => Ok(0.0),
        Value::Str(s) if s.is_empty() => Ok(0.0),
        Value::Str(s) => {
            parse_value_float(s.trim()).map_err(|e| format!("unable to cast {s:?} to float64: {e}"))
        }
        other => Err(format!("unable to cast {} to float64", other.type_name())),
    }
}

fn int(v: &Value) -> Result<i64, String> {
    float(v).map(|f| f as i64)
}

fn want(args: &[Value], n: usize, name: &str) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ))
    }
}

/// Calls `name`, or `None` when it is not a function of this set.
pub fn call(ctx: &LineContext<'_>, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
    if !FUNCTIONS.contains(&name) {
        return None;
    }
    Some(call_known(ctx, name, args))
}

fn string_fn(args: &[Value], name: &str, f: impl Fn(&str) -> String) -> Result<Value, String> {
    want(args, 1, name)?;
    Ok(Value::Str(f(&text(&args[0]))))
}

fn call_known(ctx: &LineContext<'_>, name: &str, args: &[Value]) -> Result<Value, String> {
    let s = |v: String| Ok(Value::Str(v));
    match name {
        "__line__" => s(ctx.line.to_string()),
        "__timestamp__" | "now" => Ok(time_value(if name == "now" {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64)
        } else {
            ctx.timestamp
        })),
        "ToLower" | "lower" => string_fn(args, name, str::to_lowercase),
        "ToUpper" | "upper" => string_fn(args, name, str::to_uppercase),
        "title" => string_fn(args, name, |t| {
            let mut out = String::with_capacity(t.len());
            let mut start = true;
            for c in t.chars() {
                out.extend(if start {
                    c.to_uppercase().collect::<Vec<_>>()
                } else {
                    vec![c]
                });
                start = !c.is_alphanumeric();
            }
            out
        }),
        "TrimSpace" | "trim" => string_fn(args, name, |t| t.trim().to_string()),
        "urlencode" => string_fn(args, name, |t| {
            utf8_percent_encode(t, QUERY_ESCAPE)
                .to_string()
                .replace("%20", "+")
        }),
        "urldecode" => {
            want(args, 1, name)?;
            let t = text(&args[0]).replace('+', " ");
            percent_decode_str(&t)
                .decode_utf8()
                .map(|d| Value::Str(d.into_owned()))
                .map_err(|e| e.to_string())
        }
        "b64enc" => string_fn(args, name, |t| BASE64.encode(t)),
        "b64dec" => {
            want(args, 1, name)?;
            let bytes = BASE64.decode(text(&args[0])).map_err(|e| e.to_string())?;
            String::from_utf8(bytes)
                .map(Value::Str)
                .map_err(|e| e.to_string())
        }
        "Replace" => {
            want(args, 4, name)?;
            let (src, old, new, n) = (text(&args[0]), text(&args[1]), text(&args[2]), int(&args[3])?);
            s(if n < 0 {
                src.replace(&old, &new)
            } else {
                src.replacen(&old, &new, n as usize)
            })
        }
        "replace" => {
            want(args, 3, name)?;
            s(text(&args[2]).replace(&text(&args[0]), &text(&args[1])))
        }
        "Trim" | "TrimLeft" | "TrimRight" | "trimAll" => {
            want(args, 2, name)?;
            let (src, cutset) = if name == "trimAll" {
                (text(&args[1]), text(&args[0]))
            } else {
                (text(&args[0]), text(&args[1]))
            };
            let cut = |c: char| cutset.contains(c);
            s(match name {
                "TrimLeft" => src.trim_start_matches(cut).to_string(),
                "TrimRight" => src.trim_end_matches(cut).to_string(),
                _ => src.trim_matches(cut).to_string(),
            })
        }
        "TrimPrefix" | "TrimSuffix" | "trimPrefix" | "trimSuffix" => {
            want(args, 2, name)?;
            let (src, affix) = if name.starts_with('T') {
                (text(&args[0]), text(&args[1]))
            } else {
                (text(&args[1]), text(&args[0]))
            };
            s(if name.ends_with("Prefix") {
                src.strip_prefix(affix.as_str()).unwrap_or(&src).to_string()
            } else {
                src.strip_suffix(affix.as_str()).unwrap_or(&src).to_string()
            })
        }
        "contains" | "hasPrefix" | "hasSuffix" => {
            want(args, 2, name)?;
            let (needle, src) = (text(&args[0]), text(&args[1]));
            Ok(Value::Bool(match name {
                "contains" => src.contains(&needle),
                "hasPrefix" => src.starts_with(&needle),
                _ => src.ends_with(&needle),
            }))
        }
        "repeat" => {
            want(args, 2, name)?;
            s(text(&args[1]).repeat(int(&args[0])?.max(0) as usize))
        }
        "substr" => {
            want(args, 3, name)?;
            let chars: Vec<char> = text(&args[2]).chars().collect();
            let (start, end) = (int(&args[0])?, int(&args[1])?);
            let start = start.clamp(0, chars.len() as i64) as usize;
            let end = if end < 0 || end as usize > chars.len() {
                chars.len()
            } else {
                end as usize
            };
            s(chars[start.min(end)..end].iter().collect())
        }
        "trunc" => {
            want(args, 2, name)?;
            let (n, src) = (int(&args[0])?, text(&args[1]));
            let chars: Vec<char> = src.chars().collect();
            let len = chars.len() as i64;
            s(if n >= 0 {
                chars[..n.min(len) as usize].iter().collect()
            } else {
                chars[(len + n).max(0) as usize..].iter().collect()
            })
        }
        "indent" | "nindent" => {
            want(args, 2, name)?;
            let pad = " ".repeat(int(&args[0])?.max(0) as usize);
            let body = text(&args[1])
                .split('\n')
                .map(|l| format!("{pad}{l}"))
                .collect::<Vec<_>>()
                .join("\n");
            s(if name == "nindent" {
                format!("\n{body}")
            } else {
                body
            })
        }
        "alignLeft" | "alignRight" => {
            want(args, 2, name)?;
            let (n, src) = (int(&args[0])?.max(0) as usize, text(&args[1]));
            let chars: Vec<char> = src.chars().collect();
            if chars.len() >= n {
                return s(chars[..n].iter().collect());
            }
            let pad = " ".repeat(n - chars.len());
            s(if name == "alignLeft" {
                format!("{src}{pad}")
            } else {
                format!("{pad}{src}")
            })
        }
        "regexReplaceAll" | "regexReplaceAllLiteral" => {
            want(args, 3, name)?;
            let re = Regex::new(&text(&args[0])).map_err(|e| e.to_string())?;
            let (src, repl) = (text(&args[1]), text(&args[2]));
            s(if name == "regexReplaceAll" {
                re.replace_all(&src, go_expansion(&repl).as_str()).into_owned()
            } else {
                re.replace_all(&src, regex::NoExpand(&repl)).into_owned()
            })
        }
        "count" => {
            want(args, 2, name)?;
            let re = Regex::new(&text(&args[0])).map_err(|e| e.to_string())?;
            Ok(Value::Int(re.find_iter(&text(&args[1])).count() as i64))
        }
        "default" => {
            want(args, 2, name)?;
            Ok(if args[1].truthy() {
                args[1].clone()
            } else {
                args[0].clone()
            })
        }
        "add" | "sub" | "mul" | "div" | "mod" | "max" | "min" => {
            if args.len() < 2 {
                return Err(format!(
                    "wrong number of args for {name}: want 2 got {}",
                    args.len()
                ));
            }
            let mut acc = int(&args[0])?;
            for a in &args[1..] {
                let b = int(a)?;
                acc = match name {
                    "add" => acc.wrapping_add(b),
                    "sub" => acc.wrapping_sub(b),
                    "mul" => acc.wrapping_mul(b),
                    "div" | "mod" if b == 0 => return Err("integer divide by zero".into()),
                    "div" => acc / b,
                    "mod" => acc % b,
                    "max" => acc.max(b),
                    _ => acc.min(b),
                };
            }
            Ok(Value::Int(acc))
        }
        "addf" | "subf" | "mulf" | "divf" | "maxf" | "minf" => {
            if args.is_empty() {
                return Err(format!("wrong number of args for {name}: want 2 got 0"));
            }
            let first = float(&args[0])?;
            let rest = args[1..]
                .iter()
                .map(float)
                .collect::<Result<Vec<f64>, String>>()?;
            if let Some(v) = decimal_chain(name, first, &rest) {
                return Ok(Value::Float(v));
            }
            let mut acc = first;
            for b in rest {
                acc = match name {
                    "addf" => acc + b,
                    "subf" => acc - b,
                    "mulf" => acc * b,
                    "divf" => acc / b,
                    "maxf" => acc.max(b),
                    _ => acc.min(b),
                };
            }
            Ok(Value::Float(acc))
        }
        "ceil" | "floor" | "round" | "float64" => {
            want(args, 1, name)?;
            let v = float(&args[0])?;
            Ok(Value::Float(match name {
                "ceil" => v.ceil(),
                "floor" => v.floor(),
                "round" => v.round(),
                _ => v,
            }))
        }
        "int" => {
            want(args, 1, name)?;
            Ok(Value::Int(int(&args[0])?))
        }
        "bytes" => {
            want(args, 1, name)?;
            parse_value_bytes(&text(&args[0])).map(|b| Value::Int(b as i64))
        }
        "duration" | "duration_seconds" => {
            want(args, 1, name)?;
            parse_value_duration(&text(&args[0])).map(Value::Float)
        }
        "unixEpoch" | "unixEpochMillis" | "unixEpochNanos" => {
            want(args, 1, name)?;
            let nanos = int(&args[0])?;
            Ok(Value::Int(match name {
                "unixEpoch" => nanos.div_euclid(1_000_000_000),
                "unixEpochMillis" => nanos.div_euclid(1_000_000),
                _ => nanos,
            }))
        }
        "unixToTime" => {
            want(args, 1, name)?;
            let t = text(&args[0]);
            let digits: i64 = t
                .trim()
                .parse()
                .map_err(|_| format!("unable to parse {t:?} as a Unix time"))?;
            // Seconds, milliseconds, microseconds or nanoseconds, told apart by length.
            let nanos = match t.trim().len() {
                0..=10 => digits.saturating_mul(1_000_000_000),
                11..=13 => digits.saturating_mul(1_000_000),
                14..=16 => digits.saturating_mul(1_000),
                _ => digits,
            };
            Ok(time_value(nanos))
        }
        "toDate" => {
            want(args, 2, name)?;
            parse_layout(&text(&args[1]), &text(&args[0])).map(time_value)
        }
        "date" => {
            want(args, 2, name)?;
            Ok(Value::Str(format_layout(int(&args[1])?, &text(&args[0]))))
        }
        "fromJson" => {
            want(args, 1, name)?;
            // Sprig gives an empty map for text that is not a JSON object.
            let members = json_fields::object(&text(&args[0]))
                .map(|obj| {
                    obj.0
                        .iter()
                        .map(|(k, v)| {
                            let value = match json_fields::scalar(v) {
                                Scalar::Text(s) => s,
                                _ => v.get().to_string(),
                            };
                            (k.to_string(), value)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(Value::Map(members))
        }
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// A decimal `mantissa × 10^exponent`.
#[derive(Clone, Copy)]
struct Decimal {
    mantissa: i128,
    exponent: i32,
}

impl Decimal {
    /// The shortest decimal that reads back as `v`, as Sprig's decimal library takes a
    /// float; `None` for NaN and infinities.
    fn of(v: f64) -> Option<Decimal> {
        if !v.is_finite() {
            return None;
        }
        let text = format!("{v:e}");
        let (digits, exp) = text.split_once('e')?;
        let negative = digits.starts_with('-');
        let digits = digits.trim_start_matches('-');
        let fraction = digits.split_once('.').map_or(0, |(_, f)| f.len() as i32);
        let mantissa: i128 = digits.replace('.', "").parse().ok()?;
        Some(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            exponent: exp.parse::<i32>().ok()? - fraction,
        })
    }

    fn scaled(self, exponent: i32) -> Option<i128> {
        let shift = u32::try_from(self.exponent - exponent).ok()?;
        self.mantissa.checked_mul(10i128.checked_pow(shift)?)
    }

    fn add(self, other: Decimal, sign: i128) -> Option<Decimal> {
        let exponent = self.exponent.min(other.exponent);
        let mantissa = self
            .scaled(exponent)?
            .checked_add(sign * other.scaled(exponent)?)?;
        Some(Decimal { mantissa, exponent })
    }

    fn mul(self, other: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(other.mantissa)?,
            exponent: self.exponent + other.exponent,
        })
    }

    /// The quotient rounded half away from zero to 16 decimal places, as Sprig divides.
    fn div(self, other: Decimal) -> Option<Decimal> {
        if other.mantissa == 0 {
            return None;
        }
        let shift = self.exponent - other.exponent + 16;
        let pow = |n: i32| 10i128.checked_pow(n.unsigned_abs());
        let (num, den) = if shift >= 0 {
            (self.mantissa.checked_mul(pow(shift)?)?, other.mantissa)
        } else {
            (self.mantissa, other.mantissa.checked_mul(pow(shift)?)?)
        };
        let (q, r) = (num / den, num % den);
        let round = if r.abs().checked_mul(2)? >= den.abs() {
            num.signum() * den.signum()
        } else {
            0
        };
        Some(Decimal {
            mantissa: q + round,
            exponent: -16,
        })
    }

    fn to_f64(self) -> Option<f64> {
        format!("{}e{}", self.mantissa, self.exponent).parse().ok()
    }
}

/// Sprig's `addf`, `subf`, `mulf` and `divf` over a chain of arguments, computed in
/// decimal as Sprig does; `None` when a value is not finite, a division is by zero, the
/// digits overflow, or `name` is another function (the caller then uses floats).
fn decimal_chain(name: &str, first: f64, rest: &[f64]) -> Option<f64> {
    let mut acc = Decimal::of(first)?;
    for &b in rest {
        let b = Decimal::of(b)?;
        acc = match name {
            "addf" => acc.add(b, 1)?,
            "subf" => acc.add(b, -1)?,
            "mulf" => acc.mul(b)?,
            "divf" => acc.div(b)?,
            _ => return None,
        };
    }
    acc.to_f64()
}

/// Go's `${1}`/`$name` expansion written for the regex crate, which reads `$1a` as a
/// group named `1a` where Go reads group 1 followed by `a`.
fn go_expansion(repl: &str) -> String {
    let mut out = String::with_capacity(repl.len());
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            out.push_str(&format!("${{{digits}}}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, args: &[Value]) -> Value {
        let ctx = LineContext {
            line: "the line",
            timestamp: 1_656_353_124_000_000_000,
        };
        call(&ctx, name, args).unwrap().unwrap()
    }

    fn st(s: &str) -> Value {
        Value::Str(s.into())
    }

    #[test]
    fn strings_numbers_and_times() {
        assert_eq!(run("count", &[st("a|b|c"), st("abc abc abc")]), Value::Int(9));
        assert_eq!(run("replace", &[st("t"), st("T"), st("test")]), st("TesT"));
        assert_eq!(run("default", &[st("-"), st("")]), st("-"));
        assert_eq!(run("bytes", &[st("3 kB")]), Value::Int(3000));
        assert_eq!(
            run("unixEpoch", &[run("__timestamp__", &[])]),
            Value::Int(1_656_353_124)
        );
        assert_eq!(
            run("regexReplaceAll", &[st("(a)(b)"), st("xaby"), st("$2$1z")]),
            st("xbazy")
        );
        assert_eq!(run("b64dec", &[run("b64enc", &[st("héllo!")])]), st("héllo!"));
        let stamp = run("__timestamp__", &[]);
        assert_eq!(
            run("date", &[st("2006-01-02T15:04:05.00Z-07:00"), stamp]),
            st("2022-06-27T18:05:24.00Z+00:00")
        );
        let day = run("toDate", &[st("2006-01-02"), st("2022-06-27")]);
        assert_eq!(run("date", &[st("Jan 2, 2006"), day]), st("Jun 27, 2022"));
        let Value::Map(fields) = run("fromJson", &[st(r#"{"a":"x","n":1.50,"o":{"b":2}}"#)]) else {
            panic!("a map")
        };
        assert_eq!(fields["a"], "x");
        assert_eq!(fields["n"], "1.50");
        assert_eq!(fields["o"], r#"{"b":2}"#);
        assert_eq!(run("fromJson", &[st("not json")]), Value::Map(Default::default()));
        assert_eq!(run("trunc", &[Value::Int(-3), st("abcdef")]), st("def"));
        assert_eq!(
            run("divf", &[st("20.2"), Value::Float(5.25)]),
            Value::Float(3.8476190476190477)
        );
        assert_eq!(run("addf", &[st("0.1"), Value::Float(0.2)]), Value::Float(0.3));
        assert_eq!(
            run("subf", &[Value::Int(5), Value::Float(1.5), Value::Float(3.0)]),
            Value::Float(0.5)
        );
        assert!(
            call(
                &LineContext {
                    line: "",
                    timestamp: 0
                },
                "nosuch",
                &[]
            )
            .is_none()
        );
    }
}
