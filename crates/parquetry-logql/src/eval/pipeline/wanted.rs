//! The labels a reader of a pipeline's output looks at, when it looks at only some: a
//! metric query grouped `by` labels reads those and whatever its stages read, so the
//! parsers may leave every other field unextracted.

use crate::syntax::ast::{LabelFilter, LabelSelection, Stage, Unwrap};
use rustc_hash::FxHashSet as HashSet;

/// A set of label names a pipeline's reader looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WantedLabels {
    names: HashSet<String>,
    /// Bit `n` is set when a name of `n` bytes is wanted (bit 63: 63 bytes or more), so
    /// that most names are ruled out without hashing them.
    lengths: u64,
    /// Bit `n` is set when a wanted name has `_` at byte `n` (bit 63: at 63 or later):
    /// the lengths a nested JSON object's name can have to be worth reading.
    prefix_lengths: u64,
}

impl WantedLabels {
    /// Adds `name`; for `x_extracted` also `x`, where a parsed `x` lands when the stream
    /// or metadata already has an `x`.
    pub fn insert(&mut self, name: &str) {
        if let Some(base) = name.strip_suffix("_extracted") {
            self.insert_one(base);
        }
        self.insert_one(name);
    }

    fn insert_one(&mut self, name: &str) {
        self.lengths |= Self::length_bit(name.len());
        for (i, _) in name.match_indices('_') {
            self.prefix_lengths |= Self::length_bit(i);
        }
        self.names.insert(name.to_string());
    }

    fn length_bit(len: usize) -> u64 {
        1 << len.min(63)
    }

    /// True when the reader may look at a name of `len` bytes: false rules every such
    /// name out.
    pub fn may_want_length(&self, len: usize) -> bool {
        self.lengths & Self::length_bit(len) != 0
    }

    /// True when a wanted name may start with a prefix of `len` bytes and `_`: false
    /// rules every such prefix out.
    pub fn may_want_prefix_length(&self, len: usize) -> bool {
        self.prefix_lengths & Self::length_bit(len) != 0
    }

    /// True when the reader looks at `name`.
    pub fn wants(&self, name: &str) -> bool {
        self.may_want_length(name.len()) && self.names.contains(name)
    }

    /// True when the reader looks at a name that starts with `prefix` and `_`: a nested
    /// JSON object whose flattened names start so is worth reading.
    pub fn wants_under(&self, prefix: &str) -> bool {
        self.names
            .iter()
            .any(|n| n.len() > prefix.len() && n.starts_with(prefix) && n.as_bytes()[prefix.len()] == b'_')
    }

    /// What decides the samples of `stages` (and `unwrap`) summed by the labels `by`: those
    /// labels and every label a filter, `drop`, `keep` or `unwrap` reads. `None` when a
    /// `line_format` or `label_format` template may read any label.
    pub fn for_grouping(stages: &[Stage], by: &[String], unwrap: Option<&Unwrap>) -> Option<WantedLabels> {
        let mut wanted = WantedLabels::default();
        for name in by {
            wanted.insert(name);
        }
        for stage in stages {
            match stage {
                Stage::LineFormat(_) | Stage::LabelFormat(_) => return None,
                Stage::LabelFilter(f) => wanted.add_filter(f),
                Stage::Drop(items) | Stage::Keep(items) => {
                    for item in items {
                        match item {
                            LabelSelection::Name(n) => wanted.insert(n),
                            LabelSelection::Matcher(m) => wanted.insert(&m.name),
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(u) = unwrap {
            wanted.insert(&u.label);
            u.filters.iter().for_each(|f| wanted.add_filter(f));
        }
        Some(wanted)
    }

    fn add_filter(&mut self, filter: &LabelFilter) {
        match filter {
            LabelFilter::And(a, b) | LabelFilter::Or(a, b) => {
                self.add_filter(a);
                self.add_filter(b);
            }
            LabelFilter::String(m) => self.insert(&m.name),
            LabelFilter::Ip { name, .. }
            | LabelFilter::Number { name, .. }
            | LabelFilter::Duration { name, .. }
            | LabelFilter::Bytes { name, .. } => self.insert(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse_log;

    fn wanted(pipeline: &str, by: &[&str]) -> Option<Vec<String>> {
        let log = parse_log(&format!("{{app=\"a\"}} {pipeline}")).unwrap();
        let by: Vec<String> = by.iter().map(|s| s.to_string()).collect();
        WantedLabels::for_grouping(&log.pipeline, &by, None).map(|w| {
            let mut names: Vec<String> = w.names.into_iter().collect();
            names.sort();
            names
        })
    }

    #[test]
    fn filters_and_groupings_name_what_is_read() {
        assert_eq!(
            wanted(
                r#"| json | level="error" or (took > 1s and size > 1MB) | drop pod_extracted"#,
                &["service"]
            ),
            Some(
                ["level", "pod", "pod_extracted", "service", "size", "took"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(wanted(r#"| json | line_format "{{.x}}""#, &["service"]), None);
    }

    #[test]
    fn names_are_ruled_out_by_length_and_prefix() {
        let mut w = WantedLabels::default();
        w.insert("req_id");
        w.insert(&"x".repeat(70));
        assert!(w.wants("req_id") && !w.wants("req_ix") && !w.wants("level"));
        assert!(!w.may_want_length(5) && w.may_want_length(6) && w.may_want_length(64));
        assert!(w.wants(&"x".repeat(70)) && !w.wants(&"x".repeat(65)));
        assert!(w.wants_under("req") && !w.wants_under("req_id") && !w.wants_under("re"));
        assert!(w.may_want_prefix_length(3) && !w.may_want_prefix_length(2));
    }
}
