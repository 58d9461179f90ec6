//! Durations in nanoseconds as Go writes them (`1h30m`, `1.5s`, `500us`), with
//! Prometheus' day, week and year units as well, as LogQL and TraceQL both accept them.

/// Duration units with their length in nanoseconds: Go's (`ns`, `us`, `µs`) and
/// Prometheus' (`d`, `w`, `y`) together, as Loki accepts both.
const DURATION_UNITS: [(&str, i64); 11] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("μs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 7 * 86_400_000_000_000),
    ("y", 365 * 86_400_000_000_000),
];

/// Reads a duration written in Go's or Prometheus' units (`1h30m`, `1.5s`, `500us`,
/// `2d`, or `0`) as nanoseconds, with Go's wording for what is wrong.
pub fn parse_duration_nanos(text: &str) -> Result<i64, String> {
    if text == "0" {
        return Ok(0);
    }
    let invalid = || format!("invalid duration {text:?}");
    let mut rest = text;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        if unit.is_empty() {
            return Err(format!("missing unit in duration {text:?}"));
        }
        let Some((_, scale)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(format!("unknown unit {unit:?} in duration {text:?}"));
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut part = whole.checked_mul(*scale).ok_or_else(invalid)?;
        let mut place = *scale;
        for c in fraction.chars() {
            place /= 10;
            part = part
                .checked_add(i64::from(c.to_digit(10).unwrap_or(0)) * place)
                .ok_or_else(invalid)?;
        }
        total = total.checked_add(part).ok_or_else(invalid)?;
    }
    Ok(total)
}

/// Prints nanoseconds so that [`parse_duration_nanos`] reads them back: the largest
/// units first (`1h30m`, `1d`, `1m500ms`, `1s250us`), `0s` for zero, `-` before a
/// negative duration.
pub fn format_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if nanos < 0 {
        out.push('-');
    }
    let mut left = nanos.unsigned_abs();
    for (unit, scale) in [
        ("y", 365 * 86_400_000_000_000u64),
        ("w", 7 * 86_400_000_000_000),
        ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if left >= scale {
            out.push_str(&format!("{}{unit}", left / scale));
            left %= scale;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_both_unit_systems() {
        assert_eq!(parse_duration_nanos("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration_nanos("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_duration_nanos("500us"), Ok(500_000));
        assert_eq!(parse_duration_nanos("2d"), Ok(172_800_000_000_000));
        assert_eq!(parse_duration_nanos("0"), Ok(0));
        assert_eq!(
            parse_duration_nanos("5minutes"),
            Err("unknown unit \"minutes\" in duration \"5minutes\"".into())
        );
        assert!(parse_duration_nanos("5").is_err());
        for nanos in [1, 999, 5_400_000_000_000, 86_400_000_000_001, -300_000_000_000] {
            let text = format_duration(nanos);
            let body = text.strip_prefix('-').unwrap_or(&text);
            assert_eq!(parse_duration_nanos(body).map(|n| n * nanos.signum()), Ok(nanos));
        }
    }
}
