//! Go's formatting of float64 numbers (`strconv.FormatFloat` and `fmt`'s `%g`, `%e`,
//! `%f`, `%v`), for the texts Prometheus writes with them: template output, alert
//! values, annotation messages.

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
}
