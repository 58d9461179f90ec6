//! Reading label values as numbers the way Loki does: floats as Go's `strconv.ParseFloat`,
//! durations as Go's `time.ParseDuration` (no days, a unit required), byte sizes as the
//! humanize library.

use crate::syntax::literals::parse_float;

/// A label value as a float: decimal or hexadecimal, with `Inf`, `Infinity` and `NaN` in
/// any case and an optional sign.
pub fn parse_value_float(s: &str) -> Result<f64, String> {
    let invalid = || format!("strconv.ParseFloat: parsing {s:?}: invalid syntax");
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ if lower.starts_with("0x") => parse_float(body).ok_or_else(invalid)?,
        _ => {
            let plain = !body.is_empty()
                && body
                    .bytes()
                    .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
            if !plain {
                return Err(invalid());
            }
            let v: f64 = body.parse().map_err(|_| invalid())?;
            if v.is_infinite() {
                return Err(format!("strconv.ParseFloat: parsing {s:?}: value out of range"));
            }
            v
        }
    };
    Ok(sign * v)
}

/// A label value as a Go duration, in seconds: `1h30m`, `-1.5s`, `250ms`, `0`.
pub fn parse_value_duration(s: &str) -> Result<f64, String> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if body == "0" {
        return Ok(0.0);
    }
    if body.is_empty() {
        return Err(format!("time: invalid duration {s:?}"));
    }
    let mut rest = body;
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..n];
        if number.is_empty() || number == "." {
            return Err(format!("time: invalid duration {s:?}"));
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("time: invalid duration {s:?}"))?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..u];
        rest = &rest[u..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {s:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {s:?}")),
        };
        nanos += value * scale;
    }
    Ok(sign * nanos / 1e9)
}

/// A label value as a byte size: a number, optional blanks, and a unit in any case (`B`,
/// `kB`/`KB`/`k`, `KiB`/`Ki`, … up to exabytes); no unit means bytes. Commas in the number
/// are ignored.
pub fn parse_value_bytes(s: &str) -> Result<f64, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let number: String = s[..split].chars().filter(|c| *c != ',').collect();
    // The number first, as go-humanize reads it: "oops" fails on its empty number.
    let value: f64 = number
        .parse()
        .map_err(|_| format!("strconv.ParseFloat: parsing {number:?}: invalid syntax"))?;
    let unit = s[split..].trim().to_ascii_lowercase();
    let scale: f64 = match unit.as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => 1024f64.powi(2),
        "g" | "gb" => 1e9,
        "gi" | "gib" => 1024f64.powi(3),
        "t" | "tb" => 1e12,
        "ti" | "tib" => 1024f64.powi(4),
        "p" | "pb" => 1e15,
        "pi" | "pib" => 1024f64.powi(5),
        "e" | "eb" => 1e18,
        "ei" | "eib" => 1024f64.powi(6),
        _ => return Err(format!("humanize: unhandled size name: {unit}")),
    };
    let bytes = value * scale;
    if bytes >= u64::MAX as f64 {
        return Err(format!("humanize: too large: {s}"));
    }
    Ok(bytes.trunc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_go_reads_them() {
        assert_eq!(parse_value_float("1.5"), Ok(1.5));
        assert_eq!(parse_value_float("-2e3"), Ok(-2000.0));
        assert_eq!(parse_value_float("+Inf"), Ok(f64::INFINITY));
        assert!(parse_value_float("NaN").unwrap().is_nan());
        assert!(parse_value_float("oops").is_err());
        assert!(parse_value_float("").is_err());
        assert!(parse_value_float("1_000").is_err());
    }

    #[test]
    fn durations_as_go_reads_them() {
        assert_eq!(parse_value_duration("1h30m"), Ok(5400.0));
        assert_eq!(parse_value_duration("250ms"), Ok(0.25));
        assert_eq!(parse_value_duration("-1.5s"), Ok(-1.5));
        assert!(parse_value_duration("90").unwrap_err().contains("missing unit"));
        assert!(parse_value_duration("1d").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn byte_sizes_as_humanize_reads_them() {
        assert_eq!(parse_value_bytes("3MB"), Ok(3e6));
        assert_eq!(parse_value_bytes("3 kB"), Ok(3000.0));
        assert_eq!(parse_value_bytes("1KiB"), Ok(1024.0));
        assert_eq!(parse_value_bytes("42"), Ok(42.0));
        assert_eq!(
            parse_value_bytes("oops"),
            Err("strconv.ParseFloat: parsing \"\": invalid syntax".to_string())
        );
    }
}
