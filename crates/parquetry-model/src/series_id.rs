//! Stable series identifiers.

use crate::Labels;
use xxhash_rust::xxh3::Xxh3;

/// A 64-bit identifier of a series: the XXH3 hash of its sorted label set.
///
/// The hash is a fixed algorithm with a fixed encoding (each name and value followed by
/// a `0xff` byte, which never occurs in UTF-8), so ids are stable across runs, machines and
/// versions and may be stored on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SeriesId(pub u64);

impl SeriesId {
    /// The id of the series named by `labels`.
    pub fn of(labels: &Labels) -> SeriesId {
        SeriesId::of_sorted_pairs(labels.iter().map(|l| (l.name.as_str(), l.value.as_str())))
    }

    /// The id of the series whose labels are `pairs`, given as a [`Labels`] holds them:
    /// sorted by name, each name once, no empty value. Callers holding labels as text
    /// find a series' id without building its [`Labels`].
    pub fn of_sorted_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> SeriesId {
        let mut h = Xxh3::new();
        for (name, value) in pairs {
            h.update(name.as_bytes());
            h.update(&[0xff]);
            h.update(value.as_bytes());
            h.update(&[0xff]);
        }
        SeriesId(h.digest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_depends_on_the_set_not_the_input_order() {
        let a = Labels::from_pairs([("a", "1"), ("b", "2")]);
        let b = Labels::from_pairs([("b", "2"), ("a", "1")]);
        assert_eq!(SeriesId::of(&a), SeriesId::of(&b));
        let c = Labels::from_pairs([("a", "12")]);
        let d = Labels::from_pairs([("a", "1"), ("2", "")]);
        assert_ne!(SeriesId::of(&c), SeriesId::of(&d));
    }

    #[test]
    fn id_is_stable_across_versions() {
        // Stored on disk: this value must never change.
        let l = Labels::from_pairs([("__name__", "up"), ("job", "node")]);
        assert_eq!(format!("{:016x}", SeriesId::of(&l).0), "85d666c28b445bb9");
    }
}
