//! OTLP metric and attribute names as Prometheus 3 writes them by default
//! (`UnderscoreEscapingWithSuffixes`): name parts joined with `_`, the unit spelled out
//! and appended (`_seconds`, `_bytes_per_second`), `_total` on counters, `_ratio` on
//! gauges of unit `1`; attribute names with every other character made `_`.

/// How a metric's name is completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    /// A monotonic sum: `_total` appended.
    Counter,
    /// A gauge: `_ratio` appended when the unit is `1`.
    Gauge,
    /// Anything else (non-monotonic sums, histograms, summaries).
    Other,
}

/// A character that separates name parts (everything but ASCII letters, digits and
/// `:`; `_` too, so that runs of them collapse).
fn separates(c: char) -> bool {
    !(c.is_ascii_alphanumeric() || c == ':')
}

/// The Prometheus name of metric `name` with UCUM `unit`.
pub fn metric_name(name: &str, unit: &str, kind: NameKind) -> String {
    let mut parts: Vec<String> = name
        .split(separates)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main, Some(per)),
        None => (unit, None),
    };
    let mut main_unit = String::new();
    let main = main.trim();
    if !main.is_empty() && !main.contains(['{', '}']) {
        main_unit = clean_unit(unit_name(main));
        if parts.contains(&main_unit) {
            main_unit.clear();
        }
    }
    let mut per_unit = String::new();
    if let Some(per) = per
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.contains(['{', '}']))
    {
        let cleaned = clean_unit(per_unit_name(per));
        if !cleaned.is_empty() {
            per_unit = format!("per_{cleaned}");
            if parts.contains(&per_unit) {
                per_unit.clear();
            }
        }
    }
    if !per_unit.is_empty() {
        main_unit = main_unit.trim_end_matches('_').to_string();
    }
    for unit in [main_unit, per_unit] {
        if !unit.is_empty() {
            parts.push(unit);
        }
    }
    let suffix = match kind {
        NameKind::Counter => Some("total"),
        NameKind::Gauge if unit == "1" => Some("ratio"),
        _ => None,
    };
    if let Some(suffix) = suffix {
        parts.retain(|p| p != suffix);
        parts.push(suffix.to_string());
    }
    let joined = parts.join("_");
    if joined.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{joined}")
    } else {
        joined
    }
}

/// The unit as Prometheus names spell it, for the main (numerator) unit.
fn unit_name(unit: &str) -> &str {
    match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

/// The unit after `/` as Prometheus names spell it.
fn per_unit_name(unit: &str) -> &str {
    match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

/// A unit made of name characters: others become `_`, runs of `_` one, and a leading
/// `_` goes.
fn clean_unit(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    for c in unit.chars() {
        let c = if separates(c) { '_' } else { c };
        if !(c == '_' && out.ends_with('_')) {
            out.push(c);
        }
    }
    out.trim_start_matches('_').to_string()
}

/// The unit recorded in a family's metadata (`seconds`, `bytes`): the main unit
/// spelled out, or empty for units in braces and `1`.
pub fn metadata_unit(unit: &str) -> String {
    let main = unit.split('/').next().unwrap_or("").trim();
    if main.is_empty() || main.contains(['{', '}']) {
        return String::new();
    }
    clean_unit(unit_name(main))
}

/// An attribute name as a label name: characters other than ASCII letters, digits and
/// `_` become `_`; a leading digit gets `key_` before it, a single leading `_` gets
/// `key`.
pub fn label_name(key: &str) -> String {
    let name = parquetry_model::otlp::label_chars(key);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("key_{name}")
    } else if name.starts_with('_') && !name.starts_with("__") {
        format!("key{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_take_units_and_suffixes_as_prometheus_writes_them() {
        let cases = [
            (
                "http.server.request.duration",
                "s",
                NameKind::Other,
                "http_server_request_duration_seconds",
            ),
            (
                "system.network.io",
                "By",
                NameKind::Counter,
                "system_network_io_bytes_total",
            ),
            ("requests", "{request}", NameKind::Counter, "requests_total"),
            ("requests_total", "1", NameKind::Counter, "requests_total"),
            ("cpu.utilization", "1", NameKind::Gauge, "cpu_utilization_ratio"),
            (
                "throughput",
                "By/s",
                NameKind::Gauge,
                "throughput_bytes_per_second",
            ),
            ("latency_seconds", "s", NameKind::Gauge, "latency_seconds"),
            ("a__b..c", "", NameKind::Gauge, "a_b_c"),
            ("9lives", "", NameKind::Gauge, "_9lives"),
            ("temp", "Cel", NameKind::Gauge, "temp_celsius"),
            ("rate", "km/h", NameKind::Gauge, "rate_km_per_hour"),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(metric_name(name, unit, kind), want, "{name} {unit}");
        }
        assert_eq!(metadata_unit("By/s"), "bytes");
        assert_eq!(metadata_unit("{request}"), "");
    }

    #[test]
    fn attribute_names_become_label_names() {
        assert_eq!(label_name("http.route"), "http_route");
        assert_eq!(label_name("2xx"), "key_2xx");
        assert_eq!(label_name("_private"), "key_private");
        assert_eq!(label_name("__reserved"), "__reserved");
    }
}
