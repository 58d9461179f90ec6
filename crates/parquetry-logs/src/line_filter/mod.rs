//! The line filter of a row group: what lets a search for a substring of a line, or for
//! one trace id, skip row groups that cannot hold a match. False positives only cost a
//! read; a filter never rules out a row group that holds a match.
//!
//! It has two sections (see `docs/storage-format.md`): a bitmap of the lines' byte
//! trigrams ([`trigrams`]) and a bloom filter over their whole tokens and the rows' trace
//! ids ([`tokens`]). A needle passes only if it passes both.
//!
//! Serialized form: one byte format version (2), the trigram section, the token section.
//! A filter in another format, or malformed, rules nothing out.

mod tokens;
mod trigrams;

use tokens::{TokenBuilder, TokenSection};
use trigrams::{TrigramBuilder, TrigramSection};

const FORMAT: u8 = 2;

/// Builds the filters of consecutive row groups, reusing its scratch space.
#[derive(Default)]
pub struct LineFilterBuilder {
    trigrams: TrigramBuilder,
    tokens: TokenBuilder,
}

impl LineFilterBuilder {
    /// Adds a line of the current row group.
    pub fn add_line(&mut self, line: &[u8]) {
        self.trigrams.add(line);
        self.tokens.add_line(line);
    }

    /// Adds the trace id of a row of the current row group.
    pub fn add_trace_id(&mut self, trace_id: &str) {
        self.tokens.add_token(trace_id.as_bytes());
    }

    /// The serialized filter of what was added since the last call, and a fresh start.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = vec![FORMAT];
        self.trigrams.finish_into(&mut out);
        self.tokens.finish_into(&mut out);
        out
    }
}

/// A cursor over a serialized filter.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        (self.0.len() >= n).then(|| {
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            head
        })
    }
}

/// A serialized filter, read.
pub struct LineFilter<'a> {
    trigrams: TrigramSection<'a>,
    tokens: TokenSection<'a>,
}

impl<'a> LineFilter<'a> {
    /// Reads a serialized filter; `None` when it is in another format or malformed (and
    /// so rules nothing out).
    pub fn read(bytes: &'a [u8]) -> Option<Self> {
        let mut r = Reader(bytes);
        if r.byte()? != FORMAT {
            return None;
        }
        let trigrams = TrigramSection::read(&mut r)?;
        let tokens = TokenSection::read(&mut r)?;
        r.0.is_empty().then_some(LineFilter { trigrams, tokens })
    }

    /// False when no line of the row group can contain `needle`.
    pub fn may_contain(&self, needle: &[u8]) -> bool {
        self.trigrams.may_contain(needle) && self.tokens.may_contain(needle)
    }

    /// False when no row of the row group can have `trace_id` (as its trace id column, or
    /// as a whole token of its line).
    pub fn may_hold_trace_id(&self, trace_id: &str) -> bool {
        self.tokens.may_hold(trace_id.as_bytes())
    }
}

/// True unless the serialized `filter` proves that no line of its row group contains
/// `needle`.
pub fn may_contain(filter: &[u8], needle: &[u8]) -> bool {
    LineFilter::read(filter).is_none_or(|f| f.may_contain(needle))
}

/// True unless the serialized `filter` proves that no row of its row group has
/// `trace_id`.
pub fn may_hold_trace_id(filter: &[u8], trace_id: &str) -> bool {
    LineFilter::read(filter).is_none_or(|f| f.may_hold_trace_id(trace_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter_of(lines: &[&str]) -> Vec<u8> {
        let mut b = LineFilterBuilder::default();
        for l in lines {
            b.add_line(l.as_bytes());
        }
        b.finish()
    }

    fn id_lines() -> Vec<String> {
        (0..20_000u64)
            .map(|i| {
                let h = xxhash_rust::xxh3::xxh3_128(&i.to_le_bytes());
                format!(r#"{{"level":30,"requestId":"req-{i:09}","traceId":"{h:032x}","msg":"ok"}}"#)
            })
            .collect()
    }

    #[test]
    fn rare_words_are_ruled_out_and_present_ones_never() {
        let lines: Vec<String> = (0..2000)
            .map(|i| {
                format!(
                    "level=info path=/api/v1/items/{i} status=200 duration_ms={}",
                    i % 97
                )
            })
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let f = filter_of(&refs);
        assert!(may_contain(&f, b"/api/v1/items/1999 status"));
        assert!(may_contain(&f, b"status=200"));
        assert!(!may_contain(&f, b"4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(!may_contain(&f, b"payment failed"));
        // Short needles cannot be judged.
        assert!(may_contain(&f, b"zq"));
    }

    #[test]
    fn bounded_identifiers_are_ruled_out_where_trigrams_saturate() {
        let lines = id_lines();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let f = filter_of(&refs);
        assert!(may_contain(&f, br#""requestId":"req-000012345""#));
        // Every trigram of these needles occurs somewhere; their tokens or pieces do not.
        assert!(!may_contain(&f, br#""requestId":"req-000099999""#));
        assert!(!may_contain(&f, b"req-000099999"));
        assert!(may_contain(&f, b"req-00001"));
        // A bare id, or part of one at any offset, as long as it holds a piece per phase.
        let seventh = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&7u64.to_le_bytes()));
        for part in [&seventh[..], &seventh[3..], &seventh[5..26], &seventh[..15]] {
            assert!(may_contain(&f, part.as_bytes()), "{part}");
        }
        let absent = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&u64::MAX.to_le_bytes()));
        assert!(!may_contain(&f, absent.as_bytes()));
        assert!(!may_contain(&f, &absent.as_bytes()[7..30]));
        let present = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&7u64.to_le_bytes()));
        assert!(may_hold_trace_id(&f, &present));
        let false_positives = (100_000..110_000u64)
            .filter(|i| {
                may_hold_trace_id(
                    &f,
                    &format!("{:032x}", xxhash_rust::xxh3::xxh3_128(&i.to_le_bytes())),
                )
            })
            .count();
        assert!(
            false_positives < 300,
            "{false_positives} of 10,000 absent ids pass"
        );
    }

    #[test]
    fn trace_ids_of_rows_are_held() {
        let mut b = LineFilterBuilder::default();
        b.add_line(b"payment declined");
        b.add_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
        let f = b.finish();
        assert!(may_hold_trace_id(&f, "4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(!may_hold_trace_id(&f, "00000000000000000000000000000001"));
    }

    #[test]
    fn the_builder_starts_afresh_after_each_row_group() {
        let mut b = LineFilterBuilder::default();
        b.add_line(b"connection refused");
        let first = b.finish();
        b.add_line(b"all good");
        let second = b.finish();
        assert!(may_contain(&first, b"refused"));
        assert!(!may_contain(&second, b"refused"));
        assert!(!may_contain(&second, b"x connection y"));
    }

    #[test]
    fn malformed_filters_never_rule_anything_out() {
        let good = filter_of(&["all good"]);
        assert!(!may_contain(&good, b"refused"));
        assert!(may_contain(&[], b"refused"));
        assert!(may_contain(&[9, 6, 0, 0, 0, 0, 0, 0, 0, 0], b"refused"));
        assert!(may_contain(&good[..good.len() - 1], b"refused"));
        let mut longer = good.clone();
        longer.push(0);
        assert!(may_contain(&longer, b"refused"));
        assert!(may_hold_trace_id(&good[..3], "refused"));
    }

    proptest! {
        #[test]
        fn every_substring_of_every_line_may_match(
            lines in proptest::collection::vec("[a-z0-9 =/_\"é-]{0,40}|[a-f0-9]{0,40}( [a-f0-9]{0,40})?", 1..20),
            pick in any::<prop::sample::Index>(),
            a in any::<prop::sample::Index>(),
            b in any::<prop::sample::Index>(),
        ) {
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let f = filter_of(&refs);
            let line = lines[pick.index(lines.len())].as_bytes();
            let (x, y) = (a.index(line.len() + 1), b.index(line.len() + 1));
            let needle = &line[x.min(y)..x.max(y)];
            prop_assert!(may_contain(&f, needle));
        }
    }
}
