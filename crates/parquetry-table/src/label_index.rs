//! The in-memory inverted index: `(label name, label value) → series bitmap`.

use parquetry_model::{Labels, MatchOp, Matcher};
use roaring::RoaringBitmap;
use rustc_hash::FxHashMap;

/// Postings of every label pair over series ordinals, built when a store is opened.
#[derive(Debug, Default)]
pub struct LabelIndex {
    postings: FxHashMap<String, FxHashMap<String, RoaringBitmap>>,
    all: RoaringBitmap,
}

impl LabelIndex {
    /// Indexes `series`, where a series' position in the iterator is its ordinal. Names
    /// and values are copied once each, not once per series.
    pub fn build<'a>(series: impl IntoIterator<Item = &'a Labels>) -> LabelIndex {
        let mut index = LabelIndex::default();
        for (ordinal, labels) in series.into_iter().enumerate() {
            let ordinal = u32::try_from(ordinal).expect("fewer than 2^32 series");
            append(&mut index.all, ordinal);
            for l in labels {
                let values = match index.postings.get_mut(l.name.as_str()) {
                    Some(values) => values,
                    None => index.postings.entry(l.name.clone()).or_default(),
                };
                match values.get_mut(l.value.as_str()) {
                    Some(bitmap) => append(bitmap, ordinal),
                    None => append(values.entry(l.value.clone()).or_default(), ordinal),
                }
            }
        }
        index
    }

    /// Every indexed series.
    pub fn all(&self) -> &RoaringBitmap {
        &self.all
    }

    /// Label names in use, sorted.
    pub fn label_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.postings.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Values of label `name` in use, sorted.
    pub fn label_values(&self, name: &str) -> Vec<&str> {
        let mut values: Vec<&str> = self
            .postings
            .get(name)
            .map(|v| v.keys().map(String::as_str).collect())
            .unwrap_or_default();
        values.sort_unstable();
        values
    }

    /// The series that every matcher selects, with Prometheus semantics: an absent label
    /// reads as `""`, so a matcher that matches the empty string also selects series
    /// without the label. An empty list selects every series.
    pub fn select(&self, matchers: &[Matcher]) -> RoaringBitmap {
        // Narrow with the positive matchers first: they are usually the most selective.
        let (positive, empty_matching): (Vec<&Matcher>, Vec<&Matcher>) =
            matchers.iter().partition(|m| !m.matches_empty());
        let mut result: Option<RoaringBitmap> = None;
        for m in positive {
            let selected = self.values_matching(m, true);
            result = Some(match result {
                Some(r) => r & selected,
                None => selected,
            });
            if result.as_ref().is_some_and(RoaringBitmap::is_empty) {
                return RoaringBitmap::new();
            }
        }
        let mut result = result.unwrap_or_else(|| self.all.clone());
        for m in empty_matching {
            // The series that carry the label with a value the matcher rejects drop out.
            result -= self.values_matching(m, false);
        }
        result
    }

    /// Union of the postings of label `m.name` whose value `m.matches` (or does not match,
    /// when `wanted` is false).
    fn values_matching(&self, m: &Matcher, wanted: bool) -> RoaringBitmap {
        let Some(values) = self.postings.get(&m.name) else {
            return RoaringBitmap::new();
        };
        if m.op == MatchOp::Equal && wanted {
            return values.get(&m.value).cloned().unwrap_or_default();
        }
        let mut out = RoaringBitmap::new();
        for (value, bitmap) in values {
            if m.matches(value) == wanted {
                out |= bitmap;
            }
        }
        out
    }
}

/// Adds `ordinal` to `bitmap`, at its end when it is larger than every ordinal there
/// (as while building, where ordinals come in order).
fn append(bitmap: &mut RoaringBitmap, ordinal: u32) {
    if bitmap.try_push(ordinal).is_err() {
        bitmap.insert(ordinal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquetry_model::MatchOp::*;

    fn index() -> (LabelIndex, Vec<Labels>) {
        let series = vec![
            Labels::from_pairs([("__name__", "up"), ("job", "api"), ("env", "prod")]),
            Labels::from_pairs([("__name__", "up"), ("job", "web")]),
            Labels::from_pairs([("__name__", "req"), ("job", "api"), ("env", "dev")]),
        ];
        (LabelIndex::build(&series), series)
    }

    fn sel(idx: &LabelIndex, ms: &[(MatchOp, &str, &str)]) -> Vec<u32> {
        let ms: Vec<Matcher> = ms
            .iter()
            .map(|(op, n, v)| Matcher::new(*op, *n, *v).unwrap())
            .collect();
        idx.select(&ms).iter().collect()
    }

    #[test]
    fn matchers_follow_prometheus_semantics() {
        let (idx, _) = index();
        assert_eq!(sel(&idx, &[(Equal, "__name__", "up")]), vec![0, 1]);
        assert_eq!(
            sel(&idx, &[(Equal, "__name__", "up"), (NotEqual, "env", "prod")]),
            vec![1]
        );
        assert_eq!(
            sel(&idx, &[(Equal, "__name__", "up"), (Equal, "env", "")]),
            vec![1]
        );
        assert_eq!(sel(&idx, &[(RegexMatch, "job", "a.*")]), vec![0, 2]);
        assert_eq!(sel(&idx, &[(RegexMatch, "job", "a")]), Vec::<u32>::new());
        assert_eq!(
            sel(&idx, &[(Equal, "__name__", "up"), (RegexNoMatch, "env", "p.*")]),
            vec![1]
        );
        assert_eq!(
            sel(&idx, &[(Equal, "__name__", "up"), (RegexMatch, "env", "prod|")]),
            vec![0, 1]
        );
        assert_eq!(sel(&idx, &[(Equal, "nope", "x")]), Vec::<u32>::new());
    }

    #[test]
    fn names_and_values_are_listed_sorted() {
        let (idx, _) = index();
        assert_eq!(idx.label_names(), vec!["__name__", "env", "job"]);
        assert_eq!(idx.label_values("job"), vec!["api", "web"]);
    }

    proptest::proptest! {
        #[test]
        fn select_equals_brute_force(
            series in proptest::collection::vec(
                proptest::collection::vec((0u8..3, 0u8..3), 0..4), 1..30),
            matchers in proptest::collection::vec((0u8..4, 0u8..3, 0u8..4), 1..4),
        ) {
            let labels: Vec<Labels> = series.iter().map(|pairs| Labels::from_pairs(
                pairs.iter().map(|(n, v)| (format!("l{n}"), format!("v{v}"))))).collect();
            let idx = LabelIndex::build(&labels);
            let ops = [Equal, NotEqual, RegexMatch, RegexNoMatch];
            let ms: Vec<Matcher> = matchers.iter().map(|(op, n, v)| {
                // Value 3 stands for the empty string, to exercise absent labels.
                let value = if *v == 3 { String::new() } else { format!("v{v}") };
                Matcher::new(ops[*op as usize], format!("l{n}"), value).unwrap()
            }).collect();
            let expected: Vec<u32> = labels.iter().enumerate()
                .filter(|(_, l)| l.matches_all(&ms))
                .map(|(i, _)| i as u32).collect();
            let got: Vec<u32> = idx.select(&ms).iter().collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
