//! Label sets: the identity of a series.

use std::fmt;

/// The label that holds a series' metric name.
pub const METRIC_NAME: &str = "__name__";

/// One `name="value"` pair.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// Label name, e.g. `job`.
    pub name: String,
    /// Label value; an empty value means the label is absent and is never stored.
    pub value: String,
}

/// A set of labels kept sorted by name, with unique names and no empty values.
///
/// The sorted form is canonical: two `Labels` are equal exactly when they name the same
/// series, and [`crate::SeriesId::of`] hashes this order.
#[derive(Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Labels(Vec<Label>);

/// `clone_from` reuses the target's strings, so a label set overwritten over and over
/// (the newest of a run of series) allocates only when a value outgrows its buffer.
impl Clone for Label {
    fn clone(&self) -> Self {
        Label {
            name: self.name.clone(),
            value: self.value.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.name.clone_from(&source.name);
        self.value.clone_from(&source.value);
    }
}

/// `clone_from` reuses the target's labels and their strings (see [`Label`]'s).
impl Clone for Labels {
    fn clone(&self) -> Self {
        Labels(self.0.clone())
    }

    fn clone_from(&mut self, source: &Self) {
        self.0.clone_from(&source.0);
    }
}

impl Labels {
    /// Builds a label set from pairs in any order. Empty values are dropped (Prometheus
    /// treats an empty label as an absent one); when a name repeats, the last pair wins.
    pub fn from_pairs<N, V, I>(pairs: I) -> Labels
    where
        N: Into<String>,
        V: Into<String>,
        I: IntoIterator<Item = (N, V)>,
    {
        let mut labels: Vec<Label> = pairs
            .into_iter()
            .map(|(n, v)| Label {
                name: n.into(),
                value: v.into(),
            })
            .collect();
        // A stable sort keeps repeated names in input order, so keeping the last of each
        // run implements "last wins".
        labels.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out: Vec<Label> = Vec::with_capacity(labels.len());
        for label in labels {
            match out.last_mut() {
                Some(prev) if prev.name == label.name => *prev = label,
                _ => out.push(label),
            }
        }
        out.retain(|l| !l.value.is_empty());
        Labels(out)
    }

    /// The empty label set.
    pub fn empty() -> Labels {
        Labels(Vec::new())
    }

    /// True when every matcher accepts this set's value of its label (an absent label reads
    /// as the empty string, as in Prometheus).
    pub fn matches_all(&self, matchers: &[crate::Matcher]) -> bool {
        matchers
            .iter()
            .all(|m| m.matches(self.get(&m.name).unwrap_or("")))
    }

    /// The value of label `name`, if the set has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|l| l.name.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].value.as_str())
    }

    /// The metric name (`__name__`), if any.
    pub fn metric_name(&self) -> Option<&str> {
        self.get(METRIC_NAME)
    }

    /// The labels in name order.
    pub fn iter(&self) -> std::slice::Iter<'_, Label> {
        self.0.iter()
    }

    /// Number of labels, `__name__` included.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the set has no labels at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy with label `name` set to `value` (removed when `value` is empty).
    pub fn with(&self, name: &str, value: &str) -> Labels {
        let mut pairs: Vec<(String, String)> = self
            .0
            .iter()
            .filter(|l| l.name != name)
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        pairs.push((name.to_string(), value.to_string()));
        Labels::from_pairs(pairs)
    }

    /// A copy without label `name`.
    pub fn without(&self, name: &str) -> Labels {
        Labels(self.0.iter().filter(|l| l.name != name).cloned().collect())
    }

    /// Makes this set the labels of `from` that `keep` accepts (a part of a canonical set
    /// is canonical), reusing this set's labels and strings rather than allocating anew.
    pub fn set_to_kept(&mut self, from: &Labels, keep: impl Fn(&Label) -> bool) {
        let mut kept = 0;
        for label in from.0.iter().filter(|l| keep(l)) {
            match self.0.get_mut(kept) {
                Some(slot) => slot.clone_from(label),
                None => self.0.push(label.clone()),
            }
            kept += 1;
        }
        self.0.truncate(kept);
    }

    /// Appends to `out` bytes that order as the label sets do: for two sets `a` and `b`,
    /// comparing their bytes as byte strings gives `a.cmp(&b)`. Sorting many sets by these
    /// bytes compares each pair with one `memcmp` instead of label by label.
    ///
    /// Each name and value is written with its zero bytes escaped (`0x00 0xFF`) and ended
    /// by `0x00 0x01`, which sorts below any byte a longer string could go on with; the set
    /// ends with `0x00 0x00`, below any further label.
    pub fn append_order_key(&self, out: &mut Vec<u8>) {
        for label in &self.0 {
            append_ordered_text(out, &label.name);
            append_ordered_text(out, &label.value);
        }
        out.extend_from_slice(&[0, 0]);
    }

    /// The set without the labels named in `names`, made in place (no copy).
    pub fn into_without(mut self, names: &[&str]) -> Labels {
        self.0.retain(|l| !names.contains(&l.name.as_str()));
        self
    }
}

/// Appends `text` as [`Labels::append_order_key`] writes each name and value.
fn append_ordered_text(out: &mut Vec<u8>, text: &str) {
    let mut rest = text.as_bytes();
    while let Some(zero) = memchr::memchr(0, rest) {
        out.extend_from_slice(&rest[..zero]);
        out.extend_from_slice(&[0, 0xFF]);
        rest = &rest[zero + 1..];
    }
    out.extend_from_slice(rest);
    out.extend_from_slice(&[0, 1]);
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a Label;
    type IntoIter = std::slice::Iter<'a, Label>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// True when `name` can be written bare in PromQL: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when `name` can be written bare as a metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Writes `s` as a double-quoted string with the escapes of the Prometheus text formats
/// (`\\`, `\"`, `\n`).
pub fn write_quoted(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\n' => f.write_str("\\n")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Writes the `{a="b", …}` part of a series, leaving out `__name__` when `skip_name` is set.
/// Names that are not legacy identifiers are quoted, as Prometheus 3 does.
pub fn write_label_braces(f: &mut impl fmt::Write, labels: &Labels, skip_name: bool) -> fmt::Result {
    f.write_char('{')?;
    let mut first = true;
    for l in labels.iter() {
        if skip_name && l.name == METRIC_NAME {
            continue;
        }
        if !first {
            f.write_str(", ")?;
        }
        first = false;
        if is_legacy_label_name(&l.name) {
            f.write_str(&l.name)?;
        } else {
            write_quoted(f, &l.name)?;
        }
        f.write_char('=')?;
        write_quoted(f, &l.value)?;
    }
    f.write_char('}')
}

impl fmt::Display for Labels {
    /// Prometheus' series notation: `name{a="b", c="d"}`, or `{…}` alone when the metric
    /// name is missing or has to be quoted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.metric_name() {
            Some(name) if is_legacy_metric_name(name) => {
                f.write_str(name)?;
                if self.len() > 1 {
                    write_label_braces(f, self, true)?;
                }
                Ok(())
            }
            _ => write_label_braces(f, self, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_sorted_deduplicated_and_empty_values_dropped() {
        let l = Labels::from_pairs([("b", "2"), ("a", "1"), ("b", "3"), ("c", "")]);
        let names: Vec<_> = l.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
        assert_eq!(names, vec![("a", "1"), ("b", "3")]);
        assert_eq!(l.get("b"), Some("3"));
        assert_eq!(l.get("c"), None);
    }

    #[test]
    fn display_uses_prometheus_notation() {
        let l = Labels::from_pairs([("__name__", "up"), ("job", "a\"b"), ("x.y", "1")]);
        assert_eq!(l.to_string(), r#"up{job="a\"b", "x.y"="1"}"#);
        let bare = Labels::from_pairs([("__name__", "up")]);
        assert_eq!(bare.to_string(), "up");
        let odd = Labels::from_pairs([("__name__", "a.b"), ("k", "v")]);
        assert_eq!(odd.to_string(), r#"{__name__="a.b", k="v"}"#);
    }

    /// Label sets over a tiny alphabet, zero bytes included, so that equal prefixes,
    /// prefixes of one another and escaped bytes all come up often.
    fn small_label_sets() -> impl proptest::strategy::Strategy<Value = Labels> {
        use proptest::prelude::*;
        let text =
            proptest::collection::vec(prop_oneof![Just('\0'), Just('\u{1}'), Just('a'), Just('é')], 0..4)
                .prop_map(|chars| chars.into_iter().collect::<String>());
        proptest::collection::vec((text.clone(), text), 0..4).prop_map(Labels::from_pairs)
    }

    proptest::proptest! {
        #[test]
        fn order_keys_compare_as_the_label_sets_do(a in small_label_sets(), b in small_label_sets()) {
            let (mut ka, mut kb) = (Vec::new(), Vec::new());
            a.append_order_key(&mut ka);
            b.append_order_key(&mut kb);
            proptest::prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
        }
    }

    #[test]
    fn order_keys_put_a_set_before_its_extensions_and_escape_zero_bytes() {
        let key = |l: &Labels| {
            let mut k = Vec::new();
            l.append_order_key(&mut k);
            k
        };
        let short = Labels::from_pairs([("a", "1")]);
        let long = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let zero = Labels::from_pairs([("a", "1\0")]);
        assert!(key(&short) < key(&long) && key(&short) < key(&zero));
        assert_eq!(key(&zero), b"a\0\x011\0\xff\0\x01\0\0");
    }

    #[test]
    fn set_to_kept_takes_the_accepted_labels_over_whatever_was_there() {
        let from = Labels::from_pairs([("a", "1"), ("b", "2"), ("c", "3")]);
        let mut target = Labels::from_pairs([("x", "long value"), ("y", "9"), ("z", "8"), ("w", "7")]);
        target.set_to_kept(&from, |l| l.name != "b");
        assert_eq!(target, Labels::from_pairs([("a", "1"), ("c", "3")]));
        target.set_to_kept(&from, |_| true);
        assert_eq!(target, from);
        target.set_to_kept(&from, |_| false);
        assert!(target.is_empty());
    }

    #[test]
    fn clone_from_gives_an_equal_set() {
        let mut target = Labels::from_pairs([("a", "a rather long value"), ("b", "2")]);
        for source in [
            Labels::from_pairs([("a", "1")]),
            Labels::from_pairs([("a", "1"), ("b", "2"), ("c", "3")]),
            Labels::empty(),
        ] {
            target.clone_from(&source);
            assert_eq!(target, source);
        }
    }

    #[test]
    fn with_and_without_keep_order() {
        let l = Labels::from_pairs([("b", "2"), ("a", "1")]);
        assert_eq!(l.with("c", "3").to_string(), r#"{a="1", b="2", c="3"}"#);
        assert_eq!(l.with("a", "").to_string(), r#"{b="2"}"#);
        assert_eq!(l.without("b").to_string(), r#"{a="1"}"#);
    }
}
