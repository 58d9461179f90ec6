//! The labels a reader of a pipeline's output looks at, when it looks at only some: a
//! metric query grouped `by` labels reads those and whatever its stages read, so the
//! parsers may leave every other field unextracted.

use crate::syntax::ast::{LabelFilter, LabelSelection, Stage, Unwrap};
use rustc_hash::FxHashSet as HashSet;

/// A set of label names a pipeline's reader looks at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WantedLabels(HashSet<String>);

impl WantedLabels {
    /// Adds `name`; for `x_extracted` also `x`, where a parsed `x` lands when the stream
    /// or metadata already has an `x`.
    pub fn insert(&mut self, name: &str) {
        if let Some(base) = name.strip_suffix("_extracted") {
            self.0.insert(base.to_string());
        }
        self.0.insert(name.to_string());
    }

    /// True when the reader looks at `name`.
    pub fn wants(&self, name: &str) -> bool {
        self.0.contains(name)
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
            let mut names: Vec<String> = w.0.into_iter().collect();
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
}
