//! The trigram filter of a row group: a bitmap with one bit per hashed byte trigram of
//! the row group's lines. A substring of a line has all its trigrams in the line, so a
//! needle of three or more bytes with one trigram whose bit is clear occurs in no line of
//! the row group, and the row group is skipped. False positives only cost a read.
//!
//! Serialized form: one byte format version (1), one byte `log2(bits)`, then the bitmap,
//! least significant bit first.

/// Bits of filter per distinct trigram: one hash function at this density leaves about
/// 22% of the bits set, so a needle of 10 bytes (8 trigrams) none of whose trigrams occur
/// in a row group passes it with a probability of about 1 in 200,000. A needle whose
/// trigrams all occur there (digits, hex ids among many others) always passes.
const BITS_PER_TRIGRAM: usize = 4;
/// The smallest and largest filters, in log2 of bits.
const MIN_LOG2_BITS: u32 = 6;
const MAX_LOG2_BITS: u32 = 21;
const FORMAT: u8 = 1;

fn trigrams(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .windows(3)
        .map(|w| (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32)
}

fn slot(trigram: u32, log2_bits: u32) -> usize {
    // Fibonacci hashing: the top bits of the product mix all of the trigram's bits.
    (trigram.wrapping_mul(0x9E37_79B1) >> (32 - log2_bits)) as usize
}

/// Builds filters, reusing its scratch space across row groups.
pub struct TokenFilterBuilder {
    /// One bit per possible trigram (2^24), marking those seen in the current row group.
    seen: Vec<u64>,
    distinct: Vec<u32>,
}

impl Default for TokenFilterBuilder {
    fn default() -> Self {
        TokenFilterBuilder {
            seen: vec![0; (1 << 24) / 64],
            distinct: Vec::new(),
        }
    }
}

impl TokenFilterBuilder {
    /// Adds a line of the current row group.
    pub fn add(&mut self, line: &[u8]) {
        for t in trigrams(line) {
            let (word, bit) = ((t >> 6) as usize, 1u64 << (t & 63));
            if self.seen[word] & bit == 0 {
                self.seen[word] |= bit;
                self.distinct.push(t);
            }
        }
    }

    /// The serialized filter of the lines added since the last call, and a fresh start.
    pub fn finish(&mut self) -> Vec<u8> {
        let wanted = (self.distinct.len() * BITS_PER_TRIGRAM).max(1);
        let log2_bits = wanted
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_LOG2_BITS, MAX_LOG2_BITS);
        let mut out = vec![0u8; 2 + (1usize << log2_bits) / 8];
        out[0] = FORMAT;
        out[1] = log2_bits as u8;
        for &t in &self.distinct {
            let s = slot(t, log2_bits);
            out[2 + s / 8] |= 1 << (s % 8);
            self.seen[(t >> 6) as usize] = 0;
        }
        self.distinct.clear();
        out
    }
}

/// True unless the serialized `filter` proves that no line of its row group contains
/// `needle`. Needles shorter than three bytes, and filters in an unknown format, always
/// may match.
pub fn may_contain(filter: &[u8], needle: &[u8]) -> bool {
    if filter.len() < 2 || filter[0] != FORMAT {
        return true;
    }
    let log2_bits = filter[1] as u32;
    if !(MIN_LOG2_BITS..=MAX_LOG2_BITS).contains(&log2_bits) || filter.len() != 2 + (1usize << log2_bits) / 8
    {
        return true;
    }
    let bits = &filter[2..];
    trigrams(needle).all(|t| {
        let s = slot(t, log2_bits);
        bits[s / 8] & (1 << (s % 8)) != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter_of(lines: &[&str]) -> Vec<u8> {
        let mut b = TokenFilterBuilder::default();
        for l in lines {
            b.add(l.as_bytes());
        }
        b.finish()
    }

    #[test]
    fn rare_needles_are_ruled_out_and_present_ones_never() {
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
    fn the_builder_starts_afresh_after_each_row_group() {
        let mut b = TokenFilterBuilder::default();
        b.add(b"connection refused");
        let first = b.finish();
        b.add(b"all good");
        let second = b.finish();
        assert!(may_contain(&first, b"refused"));
        assert!(!may_contain(&second, b"refused"));
    }

    #[test]
    fn malformed_filters_never_rule_anything_out() {
        assert!(may_contain(&[], b"abc"));
        assert!(may_contain(&[9, 6, 0, 0, 0, 0, 0, 0, 0, 0], b"abc"));
        assert!(may_contain(&[FORMAT, 6, 0], b"abc"));
    }

    proptest! {
        #[test]
        fn every_substring_of_every_line_may_match(
            lines in proptest::collection::vec("[a-z0-9 =/_-]{0,40}", 1..20),
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
