//! The labels and metadata Loki 3 invents at ingest when asked to, offered here as
//! options so that an archive can answer like the Loki its data came from:
//! `service_name` from the first of a list of labels, and `detected_level` from the
//! entry's severity, its metadata or its line.

use crate::entry::LogEntry;
use crate::logfmt;
use parquetry_model::Labels;

/// The labels Loki looks at, in order, for a stream's service name.
const SERVICE_LABELS: [&str; 13] = [
    "service_name",
    "service",
    "app",
    "application",
    "name",
    "app_kubernetes_io_name",
    "container",
    "container_name",
    "k8s_container_name",
    "component",
    "workload",
    "job",
    "k8s_job_name",
];

/// The stream's labels with `service_name` added when missing: the value of the first
/// label of Loki's list that the stream has, else `unknown_service`.
pub fn with_service_name(labels: Labels) -> Labels {
    if labels.get("service_name").is_some() {
        return labels;
    }
    let service = SERVICE_LABELS
        .iter()
        .find_map(|n| labels.get(n))
        .unwrap_or("unknown_service")
        .to_string();
    labels.with("service_name", &service)
}

/// The level Loki would detect for the entry (`trace`, `debug`, `info`, `warn`, `error`,
/// `critical`), or `None` when it finds none.
pub fn detected_level(entry: &LogEntry) -> Option<&'static str> {
    if let Some(n) = entry.severity_number {
        return level_of_number(n);
    }
    fn named<'a>(mut pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Option<&'static str> {
        pairs
            .find(|(k, _)| matches!(*k, "level" | "LEVEL" | "Level" | "severity" | "SEVERITY" | "lvl"))
            .and_then(|(_, v)| normalise(v))
    }
    if let Some(level) = entry
        .severity
        .as_deref()
        .and_then(normalise)
        .or_else(|| named(entry.metadata.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    {
        return Some(level);
    }
    let line = entry.line.as_str();
    if line.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(line) {
            for key in ["level", "LEVEL", "Level", "severity", "SEVERITY", "lvl"] {
                if let Some(v) = map.get(key) {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    return normalise(&text);
                }
            }
        }
    } else if logfmt::looks_like_logfmt(line)
        && let Some(level) = named(logfmt::pairs(line).iter().map(|(k, v)| (*k, v.as_ref())))
    {
        return Some(level);
    }
    keyword_level(line)
}

fn level_of_number(n: i32) -> Option<&'static str> {
    Some(match n {
        1..=4 => "trace",
        5..=8 => "debug",
        9..=12 => "info",
        13..=16 => "warn",
        17..=20 => "error",
        21..=24 => "critical",
        _ => return None,
    })
}

fn normalise(value: &str) -> Option<&'static str> {
    let v = value.trim().to_ascii_lowercase();
    Some(match v.as_str() {
        "trace" | "trc" => "trace",
        "debug" | "dbg" => "debug",
        "info" | "inf" | "information" | "notice" => "info",
        "warn" | "warning" | "wrn" => "warn",
        "error" | "err" | "eror" => "error",
        "critical" | "crit" | "fatal" | "panic" | "emerg" | "alert" => "critical",
        // pino's numeric levels.
        "10" => "trace",
        "20" => "debug",
        "30" => "info",
        "40" => "warn",
        "50" => "error",
        "60" => "critical",
        _ => return None,
    })
}

/// A level word anywhere in a free-text line, case-insensitively, most severe first.
fn keyword_level(line: &str) -> Option<&'static str> {
    let lower = line.to_ascii_lowercase();
    let has = |w: &str| {
        lower.match_indices(w).any(|(i, _)| {
            let before = lower[..i]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            let after = lower[i + w.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_ascii_alphanumeric());
            before && after
        })
    };
    [
        ("critical", "critical"),
        ("fatal", "critical"),
        ("error", "error"),
        ("err", "error"),
        ("warning", "warn"),
        ("warn", "warn"),
        ("info", "info"),
        ("debug", "debug"),
        ("trace", "trace"),
    ]
    .into_iter()
    .find(|(w, _)| has(w))
    .map(|(_, level)| level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_name_comes_from_the_first_known_label() {
        let l = with_service_name(Labels::from_pairs([("job", "j"), ("app", "shop")]));
        assert_eq!(l.get("service_name"), Some("shop"));
        let l = with_service_name(Labels::from_pairs([("env", "prod")]));
        assert_eq!(l.get("service_name"), Some("unknown_service"));
        let l = with_service_name(Labels::from_pairs([("service_name", "x"), ("app", "y")]));
        assert_eq!(l.get("service_name"), Some("x"));
    }

    #[test]
    fn levels_from_numbers_fields_and_words() {
        let mut e = LogEntry::new(0, r#"{"level":50,"msg":"boom"}"#);
        assert_eq!(detected_level(&e), Some("error"));
        e.severity_number = Some(13);
        assert_eq!(detected_level(&e), Some("warn"));
        assert_eq!(
            detected_level(&LogEntry::new(0, "ts=1 level=DEBUG msg=x")),
            Some("debug")
        );
        assert_eq!(detected_level(&LogEntry::new(0, "GC pause 12ms")), None);
        assert_eq!(
            detected_level(&LogEntry::new(0, "Connection ERROR: refused")),
            Some("error")
        );
        assert_eq!(detected_level(&LogEntry::new(0, "terror information")), None);
    }
}
