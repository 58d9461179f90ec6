//! The functions a rule template can call: Go's template builtins and Prometheus' own
//! (`humanize`, `first`, `reReplaceAll`, …). `query`, `externalURL`, `pathPrefix` and
//! `now` need the evaluation context and live in the executor.

use super::gofmt::{format_g, sprintf};
use super::value::{Sample, Value};
use parquetry_model::time::parse_duration;
use std::cmp::Ordering;

type Result<T> = std::result::Result<T, String>;

/// Calls the function `name` with already evaluated arguments.
pub fn call(name: &str, args: Vec<Value>) -> Result<Value> {
    let one = |args: &[Value]| -> Result<Value> {
        match args {
            [a] => Ok(a.clone()),
            _ => Err(format!("wrong number of args: want 1 got {}", args.len())),
        }
    };
    let s = |v: String| Ok(Value::Str(v));
    match name {
        "not" => Ok(Value::Bool(!one(&args)?.truthy())),
        "len" => match one(&args)? {
            Value::Str(s) => Ok(Value::Int(s.len() as i64)),
            Value::List(l) => Ok(Value::Int(l.len() as i64)),
            Value::Map(m) => Ok(Value::Int(m.len() as i64)),
            other => Err(format!("len of type {}", other.type_name())),
        },
        "index" => index(args),
        "print" => s(go_sprint(&args)),
        "println" => {
            let parts: Vec<String> = args.iter().map(Value::to_go_string).collect();
            s(format!("{}\n", parts.join(" ")))
        }
        "printf" => match args.split_first() {
            Some((Value::Str(f), rest)) => s(sprintf(f, rest)),
            _ => Err("printf needs a format string".into()),
        },
        "eq" => equal_any(&args).map(Value::Bool),
        "ne" => pair(&args)
            .and_then(|(a, b)| compare(a, b))
            .map(|o| Value::Bool(o != Some(Ordering::Equal))),
        "lt" | "le" | "gt" | "ge" => {
            let (a, b) = pair(&args)?;
            let ord = compare(a, b)?.ok_or_else(|| "invalid type for comparison".to_string())?;
            Ok(Value::Bool(match name {
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        "html" => s(html_escape(&go_sprint(&args))),
        "js" => s(js_escape(&go_sprint(&args))),
        "urlquery" => s(query_escape(&go_sprint(&args))),
        "safeHtml" => s(string_arg(&one(&args)?)?),
        "toUpper" => s(string_arg(&one(&args)?)?.to_uppercase()),
        "toLower" => s(string_arg(&one(&args)?)?.to_lowercase()),
        "title" => s(title(&string_arg(&one(&args)?)?)),
        "match" => {
            let (p, t) = two_strings(&args)?;
            let re = regex::Regex::new(&p).map_err(|e| e.to_string())?;
            Ok(Value::Bool(re.is_match(&t)))
        }
        "reReplaceAll" => match args.as_slice() {
            [Value::Str(p), Value::Str(r), Value::Str(t)] => {
                let re = regex::Regex::new(p).map_err(|e| e.to_string())?;
                s(re.replace_all(t, r.as_str()).into_owned())
            }
            _ => Err("reReplaceAll needs pattern, replacement and text strings".into()),
        },
        "graphLink" => s(format!(
            "/graph?g0.expr={}&g0.tab=0",
            query_escape(&string_arg(&one(&args)?)?)
        )),
        "tableLink" => s(format!(
            "/graph?g0.expr={}&g0.tab=1",
            query_escape(&string_arg(&one(&args)?)?)
        )),
        "first" => match one(&args)? {
            Value::List(l) => l
                .into_iter()
                .next()
                .ok_or_else(|| "first() called on vector with no elements".to_string()),
            other => Err(format!("first of type {}", other.type_name())),
        },
        "label" => match args.as_slice() {
            [Value::Str(name), Value::Sample(smp)] => s(smp.labels.get(name).cloned().unwrap_or_default()),
            _ => Err("label needs a name and a sample".into()),
        },
        "value" => match one(&args)? {
            Value::Sample(smp) => Ok(Value::Float(smp.value)),
            other => Err(format!("value of type {}", other.type_name())),
        },
        "strvalue" => match one(&args)? {
            Value::Sample(smp) => s(smp.labels.get("__value__").cloned().unwrap_or_default()),
            other => Err(format!("strvalue of type {}", other.type_name())),
        },
        "args" => Ok(Value::Struct(
            args.into_iter()
                .enumerate()
                .map(|(i, v)| (format!("arg{i}"), v))
                .collect(),
        )),
        "sortByLabel" => match args.as_slice() {
            [Value::Str(label), Value::List(items)] => {
                let mut items = items.clone();
                let key = |v: &Value| match v {
                    Value::Sample(Sample { labels, .. }) => labels.get(label).cloned().unwrap_or_default(),
                    _ => String::new(),
                };
                items.sort_by_key(key);
                Ok(Value::List(items))
            }
            _ => Err("sortByLabel needs a label name and a query result".into()),
        },
        "humanize" => s(humanize(to_float(&one(&args)?)?)),
        "humanize1024" => s(humanize_1024(to_float(&one(&args)?)?)),
        "humanizeDuration" => s(humanize_duration(to_float(&one(&args)?)?)),
        "humanizePercentage" => s(format!(
            "{}%",
            format_g(to_float(&one(&args)?)? * 100.0, Some(4), false)
        )),
        "humanizeTimestamp" | "toTime" => {
            let v = to_float(&one(&args)?)?;
            if !v.is_finite() {
                return s(format_g(v, Some(4), false));
            }
            s(go_time_string((v * 1e9) as i64))
        }
        "toDuration" => s(go_duration_string((to_float(&one(&args)?)? * 1e9) as i64)),
        "parseDuration" => {
            let ms = parse_duration(&string_arg(&one(&args)?)?).map_err(|e| e.to_string())?;
            Ok(Value::Float(ms as f64 / 1000.0))
        }
        "stripPort" => s(strip_port(&string_arg(&one(&args)?)?)),
        "stripDomain" => s(strip_domain(&string_arg(&one(&args)?)?)),
        _ => Err(format!("function {name:?} not defined")),
    }
}

fn string_arg(v: &Value) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
    }
}

fn two_strings(args: &[Value]) -> Result<(String, String)> {
    match args {
        [a, b] => Ok((string_arg(a)?, string_arg(b)?)),
        _ => Err(format!("wrong number of args: want 2 got {}", args.len())),
    }
}

fn pair(args: &[Value]) -> Result<(&Value, &Value)> {
    match args {
        [a, b] => Ok((a, b)),
        _ => Err(format!("wrong number of args: want 2 got {}", args.len())),
    }
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
fn go_sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !matches!(a, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        a.write_go(&mut out);
    }
    out
}

/// Orders two values of the same basic kind, as Go's template comparisons require
/// (`None` for equal-comparable but unordered kinds such as bools).
fn compare(a: &Value, b: &Value) -> Result<Option<Ordering>> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(Some(x.cmp(y))),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.cmp(y))),
        (Value::Bool(x), Value::Bool(y)) => Ok((x == y).then_some(Ordering::Equal)),
        (Value::Nil, Value::Nil) => Ok(Some(Ordering::Equal)),
        _ => Err("incompatible types for comparison".into()),
    }
}

fn equal_any(args: &[Value]) -> Result<bool> {
    let Some((first, rest)) = args.split_first() else {
        return Err("missing argument for comparison".into());
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    for other in rest {
        if compare(first, other)? == Some(Ordering::Equal) {
            return Ok(true);
        }
    }
    Ok(false)
}

fn index(args: Vec<Value>) -> Result<Value> {
    let mut it = args.into_iter();
    let mut v = it.next().ok_or("index of nothing")?;
    for key in it {
        v = match (v, key) {
            (Value::Map(m), Value::Str(k)) => Value::Str(m.get(&k).cloned().unwrap_or_default()),
            (Value::Struct(m), Value::Str(k)) => m.get(&k).cloned().unwrap_or(Value::Nil),
            (Value::List(l), Value::Int(i)) => l
                .get(usize::try_from(i).map_err(|_| format!("index out of range: {i}"))?)
                .cloned()
                .ok_or_else(|| format!("index out of range: {i}"))?,
            (v, k) => {
                return Err(format!(
                    "can't index item of type {} with {}",
                    v.type_name(),
                    k.type_name()
                ));
            }
        };
    }
    Ok(v)
}

/// Prometheus' `convertToFloat`: numbers, and strings holding numbers.
fn to_float(v: &Value) -> Result<f64> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Str(s) => {
            parquetry_model::value::parse_value(s).ok_or_else(|| format!("can't convert {s:?} to float"))
        }
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

fn g4(v: f64) -> String {
    format_g(v, Some(4), false)
}

/// Prometheus' `humanize`: SI prefixes, 4 significant digits.
pub fn humanize(mut v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanize1024`: binary prefixes.
pub fn humanize_1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || !v.is_finite() {
        return g4(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", g4(v))
}

/// Prometheus' `humanizeDuration`: `1d 2h 3m 4s`, or seconds with SI prefixes below one.
pub fn humanize_duration(mut v: f64) -> String {
    if !v.is_finite() {
        return g4(v);
    }
    if v == 0.0 {
        return format!("{}s", g4(v));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        let whole = v as i64;
        let (days, hours, minutes, seconds) = (whole / 86400, whole / 3600 % 24, whole / 60 % 60, whole % 60);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", g4(v))
        };
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", g4(v))
}

/// Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`.
fn go_time_string(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let Some(t) = chrono::DateTime::from_timestamp(secs, 0) else {
        return nanos.to_string();
    };
    let mut out = t.format("%Y-%m-%d %H:%M:%S").to_string();
    if frac != 0 {
        out.push_str(format!(".{frac:09}").trim_end_matches('0'));
    }
    out.push_str(" +0000 UTC");
    out
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
fn go_duration_string(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let frac = |value: u64, unit: u64| -> String {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            whole.to_string()
        } else {
            let width = unit.ilog10() as usize;
            format!("{whole}.{}", format!("{rest:0width$}").trim_end_matches('0'))
        }
    };
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", frac(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", frac(n, 1_000_000));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = n / 60_000_000_000 % 60;
    let seconds = frac(n % 60_000_000_000, 1_000_000_000);
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

fn split_host_port(s: &str) -> Option<(&str, &str)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, port) = rest.split_once("]:")?;
        return Some((host, port));
    }
    let (host, port) = s.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

fn strip_port(s: &str) -> String {
    split_host_port(s).map_or_else(|| s.to_string(), |(h, _)| h.to_string())
}

fn strip_domain(s: &str) -> String {
    let (host, port) = split_host_port(s).map_or((s, None), |(h, p)| (h, Some(p)));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return s.to_string();
    }
    let short = host.split('.').next().unwrap_or(host);
    match port {
        Some(p) => format!("{short}:{p}"),
        None => short.to_string(),
    }
}

/// Go's deprecated `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

fn js_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humanize_family_matches_prometheus() {
        assert_eq!(humanize(0.0), "0");
        assert_eq!(humanize(1234567.0), "1.235M");
        assert_eq!(humanize(0.00123), "1.23m");
        assert_eq!(humanize(12.0), "12");
        assert_eq!(humanize_1024(1048576.0), "1Mi");
        assert_eq!(humanize_1024(0.5), "0.5");
        assert_eq!(humanize_duration(0.0), "0s");
        assert_eq!(humanize_duration(90061.0), "1d 1h 1m 1s");
        assert_eq!(humanize_duration(3.5), "3.5s");
        assert_eq!(humanize_duration(0.0012), "1.2ms");
        assert_eq!(humanize_duration(-65.0), "-1m 5s");
        assert_eq!(go_time_string(1_500_000_000), "1970-01-01 00:00:01.5 +0000 UTC");
        assert_eq!(go_duration_string(3_723_500_000_000), "1h2m3.5s");
        assert_eq!(go_duration_string(1_500_000), "1.5ms");
    }

    #[test]
    fn comparisons_need_matching_kinds() {
        assert_eq!(
            call("gt", vec![Value::Float(2.0), Value::Float(1.0)]),
            Ok(Value::Bool(true))
        );
        assert!(call("gt", vec![Value::Float(2.0), Value::Int(1)]).is_err());
        assert_eq!(
            call(
                "eq",
                vec![
                    Value::Str("a".into()),
                    Value::Str("b".into()),
                    Value::Str("a".into())
                ]
            ),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn hosts_lose_ports_and_domains() {
        assert_eq!(strip_port("host.example:9090"), "host.example");
        assert_eq!(strip_port("[::1]:9090"), "::1");
        assert_eq!(strip_domain("host.example.com:9090"), "host:9090");
        assert_eq!(strip_domain("10.0.0.1:9090"), "10.0.0.1:9090");
        assert_eq!(title("instance down"), "Instance Down");
    }
}
