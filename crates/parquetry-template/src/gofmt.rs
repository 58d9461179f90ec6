//! Go's `fmt` number formatting and `printf`, as far as Prometheus templates use them.

use super::value::Value;

/// Decimal digits and exponent of `v` (finite, non-negative): `v = 0.d1d2… × 10^(exp+1)`,
/// i.e. `exp` is the exponent of the first digit. `sig` significant digits, or the
/// shortest round-trip representation when `None`.
fn digits(v: f64, sig: Option<usize>) -> (String, i32) {
    let text = match sig {
        Some(p) => format!("{:.*e}", p.max(1) - 1, v),
        None => format!("{v:e}"),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    (mantissa.replace('.', ""), exp)
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v > 0.0 { "+Inf" } else { "-Inf" }.into())
    } else {
        None
    }
}

fn exponent_form(d: &str, exp: i32, upper: bool) -> String {
    let mut out = String::new();
    out.push_str(&d[..1]);
    if d.len() > 1 {
        out.push('.');
        out.push_str(&d[1..]);
    }
    out.push(if upper { 'E' } else { 'e' });
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
    out
}

fn decimal_form(d: &str, exp: i32) -> String {
    if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), d)
    } else {
        let point = exp as usize + 1;
        if d.len() <= point {
            format!("{}{}", d, "0".repeat(point - d.len()))
        } else {
            format!("{}.{}", &d[..point], &d[point..])
        }
    }
}

/// Go's `%g` with an optional precision (`%.4g`), trailing zeros removed.
pub fn format_g(v: f64, precision: Option<usize>, upper: bool) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let sign = if v.is_sign_negative() && v != 0.0 { "-" } else { "" };
    let (d, exp) = digits(v.abs(), precision);
    let d = d.trim_end_matches('0');
    let d = if d.is_empty() { "0" } else { d };
    let limit = match precision {
        None => 6,
        Some(p) => p.max(1) as i32,
    };
    let body = if exp < -4 || exp >= limit {
        exponent_form(d, exp, upper)
    } else {
        decimal_form(d, exp)
    };
    format!("{sign}{body}")
}

/// Go's `%v` for a float64 (`fmt.Sprint`): the shortest representation, with an exponent
/// below 1e-4 and from 1e6 on (`1e+06`).
pub fn format_float_v(v: f64) -> String {
    format_g(v, None, false)
}

/// Go's `%e` with a precision (default 6).
pub fn format_e(v: f64, precision: usize, upper: bool) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let (d, exp) = digits(v.abs(), Some(precision + 1));
    let mut d = d;
    d.truncate(precision + 1);
    while d.len() < precision + 1 {
        d.push('0');
    }
    format!("{sign}{}", exponent_form(&d, exp, upper))
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: the shortest digits that round-trip, in
/// exponent form (`1e+00`, `2.5e-03`), as Prometheus' API writes alert values.
pub fn format_e_shortest(v: f64) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    let sign = if v.is_sign_negative() { "-" } else { "" };
    let (d, exp) = digits(v.abs(), None);
    format!("{sign}{}", exponent_form(&d, exp, false))
}

/// Go's `%f` with a precision (default 6).
pub fn format_f(v: f64, precision: usize) -> String {
    if let Some(s) = special(v) {
        return s;
    }
    format!("{v:.precision$}")
}

/// One parsed `%` directive.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

fn pad(s: String, spec: &Spec) -> String {
    let Some(width) = spec.width else { return s };
    let len = s.chars().count();
    if len >= width {
        return s;
    }
    let fill = width - len;
    if spec.minus {
        format!("{s}{}", " ".repeat(fill))
    } else if spec.zero && s.starts_with(['-', '+']) {
        format!("{}{}{}", &s[..1], "0".repeat(fill), &s[1..])
    } else if spec.zero {
        format!("{}{s}", "0".repeat(fill))
    } else {
        format!("{}{s}", " ".repeat(fill))
    }
}

fn signed(s: String, spec: &Spec) -> String {
    if s.starts_with('-') || s == "NaN" {
        s
    } else if spec.plus && !s.starts_with('+') {
        format!("+{s}")
    } else if spec.space && !s.starts_with('+') {
        format!(" {s}")
    } else {
        s
    }
}

fn bad_verb(verb: char, arg: &Value) -> String {
    format!("%!{verb}({}={})", arg.type_name(), arg.to_go_string())
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn format_one(verb: char, spec: &Spec, arg: &Value) -> String {
    let float = |v: f64| -> String {
        match verb {
            'e' | 'E' => format_e(v, spec.precision.unwrap_or(6), verb == 'E'),
            'f' | 'F' => format_f(v, spec.precision.unwrap_or(6)),
            'g' | 'G' => format_g(v, spec.precision, verb == 'G'),
            _ => format_float_v(v),
        }
    };
    let body = match (verb, arg) {
        ('v', Value::Float(v)) => signed(float(*v), spec),
        ('v', other) => other.to_go_string(),
        ('s', Value::Str(s)) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('s', Value::Map(_) | Value::List(_) | Value::Bool(_) | Value::Struct(_) | Value::Sample(_)) => {
            arg.to_go_string()
        }
        ('q', Value::Str(s)) => quote(s),
        ('t', Value::Bool(b)) => b.to_string(),
        ('d', Value::Int(i)) => signed(i.to_string(), spec),
        ('x', Value::Int(i)) => format!("{i:x}"),
        ('X', Value::Int(i)) => format!("{i:X}"),
        ('o', Value::Int(i)) => format!("{i:o}"),
        ('b', Value::Int(i)) => format!("{i:b}"),
        ('c', Value::Int(i)) => char::from_u32(*i as u32).map(String::from).unwrap_or_default(),
        ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Value::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Value::Float(v)) => signed(float(*v), spec),
        _ => return bad_verb(verb, arg),
    };
    let _ = spec.sharp;
    pad(body, spec)
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %q %d %x %X %o %b %c %t %e %E
/// %f %F %g %G %%`, with flags `-+ 0#`, width and precision. Mismatches print as Go does
/// (`%!d(string=x)`, `%!v(MISSING)`, `%!(EXTRA …)`).
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        spec.width = number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match args.get(next) {
            Some(arg) => out.push_str(&format_one(verb, &spec, arg)),
            None => out.push_str(&format!("%!{verb}(MISSING)")),
        }
        next += 1;
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), a.to_go_string()))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float_v(0.0), "0");
        assert_eq!(format_float_v(1.5), "1.5");
        assert_eq!(format_float_v(1e6), "1e+06");
        assert_eq!(format_float_v(123456.0), "123456");
        assert_eq!(format_float_v(1234567.0), "1.234567e+06");
        assert_eq!(format_float_v(0.0001), "0.0001");
        assert_eq!(format_float_v(0.00001), "1e-05");
        assert_eq!(format_float_v(-2.5), "-2.5");
        assert_eq!(format_float_v(f64::INFINITY), "+Inf");
        assert_eq!(format_g(1234.5678, Some(4), false), "1235");
        assert_eq!(format_g(1.0, Some(4), false), "1");
        assert_eq!(format_g(12345.0, Some(4), false), "1.234e+04");
        assert_eq!(format_g(0.5, Some(4), false), "0.5");
        assert_eq!(format_g(0.0, Some(4), false), "0");
        assert_eq!(format_e_shortest(1.0), "1e+00");
        assert_eq!(format_e_shortest(0.0025), "2.5e-03");
        assert_eq!(format_e_shortest(-123456.0), "-1.23456e+05");
        assert_eq!(format_e_shortest(f64::NAN), "NaN");
    }

    #[test]
    fn printf_handles_common_directives() {
        let v = |f: f64| Value::Float(f);
        assert_eq!(sprintf("%.2f", &[v(1.23456)]), "1.23");
        assert_eq!(
            sprintf("%s is %d%%", &[Value::Str("x".into()), Value::Int(5)]),
            "x is 5%"
        );
        assert_eq!(
            sprintf("%5.1f|%-4s|", &[v(2.25), Value::Str("a".into())]),
            "  2.2|a   |"
        );
        assert_eq!(sprintf("%d", &[Value::Str("x".into())]), "%!d(string=x)");
        assert_eq!(sprintf("%v %v", &[v(1.0)]), "1 %!v(MISSING)");
        assert_eq!(sprintf("%q", &[Value::Str("a\"b".into())]), "\"a\\\"b\"");
        assert_eq!(sprintf("%e", &[v(1234.5)]), "1.234500e+03");
        assert_eq!(sprintf("%g", &[v(100000000.0)]), "1e+08");
    }
}
