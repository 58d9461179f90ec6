//! The label names and values of chosen series or streams, as Prometheus' and Loki's
//! label endpoints list them: each once, sorted.

use parquetry::model::Labels;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Every label name any of `sets` has.
pub fn names(sets: &[Arc<Labels>]) -> BTreeSet<String> {
    sets.iter()
        .flat_map(|labels| labels.iter().map(|l| l.name.clone()))
        .collect()
}

/// Every value label `name` takes in `sets`.
pub fn values(sets: &[Arc<Labels>], name: &str) -> BTreeSet<String> {
    sets.iter()
        .filter_map(|labels| labels.get(name).map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_come_once_each_in_order() {
        let sets = [
            Arc::new(Labels::from_pairs([("job", "b"), ("instance", "x")])),
            Arc::new(Labels::from_pairs([("job", "a")])),
            Arc::new(Labels::from_pairs([("job", "b"), ("zone", "1")])),
        ];
        assert_eq!(Vec::from_iter(names(&sets)), ["instance", "job", "zone"]);
        assert_eq!(Vec::from_iter(values(&sets, "job")), ["a", "b"]);
        assert!(values(&sets, "missing").is_empty());
    }
}
