//! Warnings and infos an evaluation gives beside its answer, worded as Prometheus words
//! its annotations: `PromQL warning: …` and `PromQL info: …`, each followed by the
//! position (`line:column`) of the expression it is about.

use parquetry_model::go_float::format_float_v;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

/// How serious an annotation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The answer may be wrong or incomplete (Prometheus' `warnings`).
    Warning,
    /// The answer is right, but the query may not mean what it says (`infos`).
    Info,
}

/// One annotation: its level, its message without the level's prefix, and the byte
/// offset in the query of the expression it is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Annotation {
    /// Warning or info.
    pub level: Level,
    /// What happened, as Prometheus words it after `PromQL warning: `/`PromQL info: `.
    pub message: String,
    /// Where the expression starts in the query text.
    pub position: usize,
}

impl Annotation {
    /// The annotation as Prometheus' API lists it: prefix, message and the `line:column`
    /// (both from 1, the column in bytes) of its expression in `query`.
    pub fn text(&self, query: &str) -> String {
        let prefix = match self.level {
            Level::Warning => "PromQL warning",
            Level::Info => "PromQL info",
        };
        let before = &query.as_bytes()[..self.position.min(query.len())];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = match before.iter().rposition(|b| *b == b'\n') {
            Some(newline) => before.len() - newline,
            None => before.len() + 1,
        };
        format!("{prefix}: {} ({line}:{column})", self.message)
    }
}

/// Where an evaluation puts its annotations: a shared set, so that clones of the
/// options a query runs with all add to the caller's one. Repeated annotations are
/// kept once.
#[derive(Clone, Debug, Default)]
pub struct Annotations(Arc<Mutex<BTreeSet<Annotation>>>);

impl Annotations {
    /// Adds an annotation about the expression starting at byte `position`.
    pub fn add(&self, level: Level, message: String, position: usize) {
        let annotation = Annotation {
            level,
            message,
            position,
        };
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(annotation);
    }

    /// Every annotation so far, in order.
    pub fn list(&self) -> Vec<Annotation> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The warnings and the infos as Prometheus' API lists them for `query`.
    pub fn texts(&self, query: &str) -> (Vec<String>, Vec<String>) {
        let (mut warnings, mut infos) = (Vec::new(), Vec::new());
        for a in self.list() {
            match a.level {
                Level::Warning => warnings.push(a.text(query)),
                Level::Info => infos.push(a.text(query)),
            }
        }
        (warnings, infos)
    }
}

/// The info Prometheus gives for `rate` or `increase` over a metric whose name does not
/// say it is a counter; `None` when the name does say so (or there is none).
pub fn possible_non_counter(metric: &str) -> Option<String> {
    let counter_like = ["_total", "_sum", "_count", "_bucket"]
        .iter()
        .any(|suffix| metric.ends_with(suffix));
    (!metric.is_empty() && !counter_like).then(|| {
        format!("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {metric:?}")
    })
}

/// The warning for a quantile outside `[0, 1]`.
pub fn invalid_quantile(q: f64) -> String {
    format!(
        "quantile value should be between 0 and 1, got {}",
        format_float_v(q)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_carry_prefix_message_and_position() {
        let sink = Annotations::default();
        let query = "sum(\n  rate(x[5m]))";
        sink.add(Level::Info, possible_non_counter("x").unwrap(), 7);
        sink.add(Level::Info, possible_non_counter("x").unwrap(), 7);
        sink.add(Level::Warning, invalid_quantile(1.5), 0);
        let (warnings, infos) = sink.texts(query);
        assert_eq!(
            warnings,
            ["PromQL warning: quantile value should be between 0 and 1, got 1.5 (1:1)"]
        );
        assert_eq!(
            infos,
            [
                "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"x\" (2:3)"
            ]
        );
        assert_eq!(possible_non_counter("requests_total"), None);
        assert_eq!(possible_non_counter(""), None);
    }
}
