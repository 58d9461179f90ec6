//! The labels of one line as it passes through a pipeline: the stream's, the entry's
//! structured metadata, and what parsers extract, with Loki's rules for name clashes and
//! for the `__error__` and `__error_details__` labels.

use std::fmt;

/// Set when a stage fails on a line.
pub const ERROR_LABEL: &str = "__error__";
/// The message of the failure.
pub const ERROR_DETAILS_LABEL: &str = "__error_details__";

/// Where a label came from; earlier sources win a name clash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// The stream's labels.
    Stream,
    /// The entry's structured metadata.
    Metadata,
    /// A parser, `label_format` or another stage.
    Parsed,
}

/// A label set in which empty values are significant (`x=""` differs from no `x`), sorted
/// by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSet(pub Vec<(String, String)>);

impl LabelSet {
    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// The set as the model's labels, which leave out names whose value is empty.
    pub fn to_labels(&self) -> parquetry_model::Labels {
        parquetry_model::Labels::from_pairs(self.0.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }

    /// Builds a set from pairs in any order; the last of a repeated name wins.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> LabelSet {
        let mut v: Vec<(String, String)> = pairs.into_iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(v.len());
        for (n, val) in v {
            match out.last_mut() {
                Some(prev) if prev.0 == n => prev.1 = val,
                _ => out.push((n, val)),
            }
        }
        LabelSet(out)
    }
}

impl fmt::Display for LabelSet {
    /// `{a="1", b=""}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{n}=")?;
            parquetry_model::labels::write_quoted(f, v)?;
        }
        f.write_str("}")
    }
}

/// The labels of one line during a pipeline.
#[derive(Clone, Debug, Default)]
pub struct LabelsBuilder {
    labels: Vec<(String, String, Source)>,
    error: Option<String>,
    error_details: Option<String>,
    /// Text of labels dropped by [`LabelsBuilder::reset_to`], reused by the next ones.
    spare: Vec<(String, String)>,
}

impl LabelsBuilder {
    /// A line of a stream with these labels and this structured metadata. Metadata whose
    /// name the stream already has goes to `<name>_extracted`. For many lines of one
    /// stream, build it once without metadata, and for each line [`LabelsBuilder::reset_to`]
    /// it and [`LabelsBuilder::add_metadata`].
    pub fn new<'a>(
        stream: impl IntoIterator<Item = (&'a str, &'a str)>,
        metadata: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> LabelsBuilder {
        let mut b = LabelsBuilder {
            labels: stream
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_string(), Source::Stream))
                .collect(),
            ..LabelsBuilder::default()
        };
        b.add_metadata(metadata);
        b
    }

    /// Adds an entry's structured metadata.
    pub fn add_metadata<'a>(&mut self, metadata: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (n, v) in metadata {
            self.add(Source::Metadata, n, v);
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|(n, ..)| n == name)
    }

    /// Makes this builder equal to `other`, reusing the text it holds: what starting each
    /// line of a stream from the stream's labels costs.
    pub fn reset_to(&mut self, other: &LabelsBuilder) {
        if self.labels.len() > other.labels.len() {
            let dropped = self.labels.drain(other.labels.len()..);
            self.spare.extend(dropped.map(|(n, v, _)| (n, v)));
        }
        let kept = self.labels.len();
        for (mine, theirs) in self.labels.iter_mut().zip(&other.labels) {
            mine.0.clone_from(&theirs.0);
            mine.1.clone_from(&theirs.1);
            mine.2 = theirs.2;
        }
        self.labels.extend_from_slice(&other.labels[kept..]);
        self.error.clone_from(&other.error);
        self.error_details.clone_from(&other.error_details);
    }

    /// The current value of `name`; the error labels included.
    pub fn get(&self, name: &str) -> Option<&str> {
        match name {
            ERROR_LABEL => self.error.as_deref(),
            ERROR_DETAILS_LABEL => self.error_details.as_deref(),
            _ => self.position(name).map(|i| self.labels[i].1.as_str()),
        }
    }

    /// True when a label of a stronger source than `source` holds `name`.
    fn taken_by_stronger(&self, name: &str, source: Source) -> bool {
        self.labels.iter().any(|(n, _, s)| n == name && *s < source)
    }

    /// Adds or replaces `name`. When a stronger source already holds the name, the value
    /// goes to `<name>_extracted` instead.
    pub fn add(&mut self, source: Source, name: &str, value: &str) {
        if self.taken_by_stronger(name, source) {
            let extracted = format!("{name}_extracted");
            self.set(&extracted, value, source);
        } else {
            self.set(name, value, source);
        }
    }

    /// Sets `name` to `value` whatever holds it now.
    pub fn set(&mut self, name: &str, value: &str, source: Source) {
        match name {
            ERROR_LABEL => self.error = Some(value.to_string()),
            ERROR_DETAILS_LABEL => self.error_details = Some(value.to_string()),
            _ => match self.position(name) {
                Some(i) => {
                    self.labels[i].1.clear();
                    self.labels[i].1.push_str(value);
                    self.labels[i].2 = source;
                }
                None => {
                    let (mut n, mut v) = self.spare.pop().unwrap_or_default();
                    n.clear();
                    n.push_str(name);
                    v.clear();
                    v.push_str(value);
                    self.labels.push((n, v, source));
                }
            },
        }
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &str) {
        match name {
            ERROR_LABEL => self.error = None,
            ERROR_DETAILS_LABEL => self.error_details = None,
            _ => self.labels.retain(|(n, ..)| n != name),
        }
    }

    /// Keeps only the labels for which `keep` holds (the error labels are not offered).
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.labels.retain(|(n, v, _)| keep(n, v));
    }

    /// Every label name and value, the error labels last.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels
            .iter()
            .map(|(n, v, _)| (n.as_str(), v.as_str()))
            .chain(self.error.as_deref().map(|e| (ERROR_LABEL, e)))
            .chain(self.error_details.as_deref().map(|d| (ERROR_DETAILS_LABEL, d)))
    }

    /// Records a failed stage, unless an earlier one failed already.
    pub fn set_error(&mut self, error: &str, details: impl fmt::Display) {
        if self.error.is_none() {
            self.error = Some(error.to_string());
            self.error_details = Some(details.to_string());
        }
    }

    /// The failure recorded, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The final label set.
    pub fn finish(&self) -> LabelSet {
        LabelSet::from_pairs(self.iter().map(|(n, v)| (n.to_string(), v.to_string())))
    }

    /// The final labels split by where each came from, as Loki's `categorize-labels`
    /// encoding returns them; the error labels are parsed labels.
    pub fn finish_categorized(&self) -> Categorized {
        let of = |source: Source| {
            LabelSet::from_pairs(
                self.labels
                    .iter()
                    .filter(|(_, _, s)| *s == source)
                    .map(|(n, v, _)| (n.clone(), v.clone())),
            )
        };
        let errors = [
            (ERROR_LABEL, self.error.as_deref()),
            (ERROR_DETAILS_LABEL, self.error_details.as_deref()),
        ];
        let mut parsed = of(Source::Parsed);
        for (name, value) in errors {
            if let Some(value) = value {
                parsed.0.push((name.to_string(), value.to_string()));
            }
        }
        parsed.0.sort();
        Categorized {
            stream: of(Source::Stream),
            entry: EntryLabels {
                metadata: of(Source::Metadata),
                parsed,
            },
        }
    }
}

/// A line's labels by category: the stream's, and the entry's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Categorized {
    /// The stream labels (after the pipeline).
    pub stream: LabelSet,
    /// The labels of the entry itself.
    pub entry: EntryLabels,
}

/// The labels one entry has beyond its stream's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryLabels {
    /// Its structured metadata.
    pub metadata: LabelSet,
    /// What parsers and formatting stages extracted or set, and the error labels.
    pub parsed: LabelSet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_builder_equals_its_model() {
        let base = LabelsBuilder::new([("app", "a"), ("env", "prod")], []);
        let mut line = base.clone();
        line.add(Source::Parsed, "level", "error");
        line.set("app", "b", Source::Parsed);
        line.set_error("JSONParserErr", "bad");
        line.reset_to(&base);
        assert_eq!(line.finish(), base.finish());
        let mut shorter = LabelsBuilder::default();
        shorter.reset_to(&base);
        assert_eq!(shorter.finish(), base.finish());
    }

    #[test]
    fn clashes_go_to_extracted_names() {
        let mut b = LabelsBuilder::new(
            [("sl", "s"), ("sm", "s"), ("tri", "s")],
            [("md", "m"), ("sm", "m"), ("tri", "m")],
        );
        for (n, v) in [("sl", "p"), ("md", "p"), ("tri", "p")] {
            b.add(Source::Parsed, n, v);
        }
        let expected = [
            ("md", "m"),
            ("md_extracted", "p"),
            ("sl", "s"),
            ("sl_extracted", "p"),
            ("sm", "s"),
            ("sm_extracted", "m"),
            ("tri", "s"),
            ("tri_extracted", "p"),
        ];
        let expected = LabelSet(
            expected
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(b.finish(), expected);
    }

    #[test]
    fn the_first_error_wins() {
        let mut b = LabelsBuilder::new([("app", "a")], []);
        b.set_error("JSONParserErr", "bad");
        b.set_error("LabelFilterErr", "worse");
        assert_eq!(b.get(ERROR_LABEL), Some("JSONParserErr"));
        assert_eq!(b.get(ERROR_DETAILS_LABEL), Some("bad"));
    }
}
