//! The trigram section of a line filter: a bitmap with one bit per hashed byte trigram of
//! the row group's lines. A substring of a line has all its trigrams in the line, so a
//! needle of three or more bytes with one trigram whose bit is clear occurs in no line of
//! the row group. It rules out rare words, and fragments of them, that the token section
//! cannot judge; it cannot rule out identifiers, whose digit and hex trigrams a row group
//! of thousands of ids holds every one of.
//!
//! Serialized form: one byte `log2(bits)`, then the bitmap, least significant bit first.

use super::Reader;

/// Bits of filter per distinct trigram: one hash function at this density leaves about
/// 22% of the bits set, so a needle of 10 bytes (8 trigrams) none of whose trigrams occur
/// in a row group passes it with a probability of about 1 in 200,000.
const BITS_PER_TRIGRAM: usize = 4;
/// The smallest and largest bitmaps, in log2 of bits.
const MIN_LOG2_BITS: u32 = 6;
const MAX_LOG2_BITS: u32 = 21;

fn trigrams(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .windows(3)
        .map(|w| (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32)
}

fn slot(trigram: u32, log2_bits: u32) -> usize {
    // Fibonacci hashing: the top bits of the product mix all of the trigram's bits.
    (trigram.wrapping_mul(0x9E37_79B1) >> (32 - log2_bits)) as usize
}

/// Collects the distinct trigrams of a row group's lines, reusing its scratch space
/// across row groups.
pub(super) struct TrigramBuilder {
    /// One bit per possible trigram (2^24), marking those seen in the current row group.
    seen: Vec<u64>,
    distinct: Vec<u32>,
}

impl Default for TrigramBuilder {
    fn default() -> Self {
        TrigramBuilder {
            seen: vec![0; (1 << 24) / 64],
            distinct: Vec::new(),
        }
    }
}

impl TrigramBuilder {
    pub(super) fn add(&mut self, line: &[u8]) {
        for t in trigrams(line) {
            let (word, bit) = ((t >> 6) as usize, 1u64 << (t & 63));
            if self.seen[word] & bit == 0 {
                self.seen[word] |= bit;
                self.distinct.push(t);
            }
        }
    }

    /// Appends the section for the lines added since the last call to `out`, and starts
    /// afresh.
    pub(super) fn finish_into(&mut self, out: &mut Vec<u8>) {
        let wanted = (self.distinct.len() * BITS_PER_TRIGRAM).max(1);
        let log2_bits = wanted
            .next_power_of_two()
            .trailing_zeros()
            .clamp(MIN_LOG2_BITS, MAX_LOG2_BITS);
        out.push(log2_bits as u8);
        let start = out.len();
        out.resize(start + (1usize << log2_bits) / 8, 0);
        let bits = &mut out[start..];
        for &t in &self.distinct {
            let s = slot(t, log2_bits);
            bits[s / 8] |= 1 << (s % 8);
            self.seen[(t >> 6) as usize] = 0;
        }
        self.distinct.clear();
    }
}

/// A trigram section read from a serialized filter.
pub(super) struct TrigramSection<'a> {
    log2_bits: u32,
    bits: &'a [u8],
}

impl<'a> TrigramSection<'a> {
    /// Reads the section at the reader's position; `None` when it is malformed.
    pub(super) fn read(r: &mut Reader<'a>) -> Option<Self> {
        let log2_bits = r.byte()? as u32;
        if !(MIN_LOG2_BITS..=MAX_LOG2_BITS).contains(&log2_bits) {
            return None;
        }
        let bits = r.take((1usize << log2_bits) / 8)?;
        Some(TrigramSection { log2_bits, bits })
    }

    /// False when some trigram of `needle` occurs in no line. Needles shorter than three
    /// bytes have no trigrams and always may match.
    pub(super) fn may_contain(&self, needle: &[u8]) -> bool {
        trigrams(needle).all(|t| {
            let s = slot(t, self.log2_bits);
            self.bits[s / 8] & (1 << (s % 8)) != 0
        })
    }
}
