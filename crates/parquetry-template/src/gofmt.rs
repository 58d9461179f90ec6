//! Go's `printf` as far as Prometheus templates use it, over the number formatting of
//! `parquetry_model::go_float`.

use super::value::Value;
pub use parquetry_model::go_float::{format_e, format_e_shortest, format_f, format_float_v, format_g};

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
