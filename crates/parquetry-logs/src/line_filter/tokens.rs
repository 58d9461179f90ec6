//! The token section of a line filter: a bloom filter over the whole tokens of the row
//! group's lines, the aligned pieces of those tokens, and the trace ids of its rows. A
//! token is a maximal run of word bytes: ASCII letters, digits and `_`, and every byte of
//! a non-ASCII character. A token's aligned pieces are its bytes `8j .. 8j + 8`, for every
//! `j` that fits.
//!
//! A line that contains a needle contains each token that the needle bounds on both sides
//! (a non-word byte before and after it inside the needle) as a whole token: in
//! `"requestId":"req-000300000"` that is `requestId`, `req` and `000300000`. A token at an
//! end of the needle may be part of a longer token of the line: bounded on its left, it
//! starts that token, so its own aligned pieces are pieces of the line's token; unbounded
//! on its left, it starts at an unknown offset `o`, and for the phase `p = -o mod 8` its
//! pieces at `p + 8j` are. So a bare 32-digit trace id is ruled out when, for each of
//! the 8 phases, one of its (3 or 4) pieces is missing. One token missing from the filter
//! rules the row group out, and a unique identifier rules out nearly every row group.
//!
//! Serialized form: one byte `k` (hash functions), the number of bits `m` as a
//! little-endian `u32` (a multiple of 64), then the bitmap, least significant bit first.
//! An item's bits are `(x_i * m) >> 32` for `x_i = h1 + i * h2` (32-bit wrapping,
//! `i < k`), where `h1` and `h2` are the low and high halves of its XXH3-64 hash, `h2`
//! with its lowest bit set; whole tokens and trace ids hash with seed 0, pieces with
//! seed 1.

use super::Reader;
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// Bits of filter per distinct token and hash functions per token: about 1.3% false
/// positives per token checked.
const BITS_PER_TOKEN: usize = 9;
const HASHES: u8 = 6;
/// The largest bitmap, in bits (2 MiB): beyond it false positives grow instead.
const MAX_BITS: usize = 1 << 24;
/// The length of, and the stride between, a token's aligned pieces.
const PIECE: usize = 8;
const PIECE_SEED: u64 = 1;

/// True for the bytes tokens are made of.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The whole tokens of `bytes`, as byte ranges.
fn tokens(bytes: &[u8]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !is_word_byte(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && is_word_byte(bytes[i]) {
            i += 1;
        }
        (start < i).then_some(start..i)
    })
}

/// A token of a needle, and whether the needle bounds it on the left and on the right.
struct NeedleToken<'a> {
    bytes: &'a [u8],
    left: bool,
    right: bool,
}

/// The tokens of `needle`, each with the sides the needle bounds it on.
fn needle_tokens(needle: &[u8]) -> impl Iterator<Item = NeedleToken<'_>> {
    tokens(needle).map(move |r| NeedleToken {
        left: r.start > 0,
        right: r.end < needle.len(),
        bytes: &needle[r],
    })
}

/// The pieces of `token` that start at `phase + 8j`.
fn pieces(token: &[u8], phase: usize) -> impl Iterator<Item = &[u8]> {
    token.get(phase..).unwrap_or_default().chunks_exact(PIECE)
}

fn bit_positions(hash: u64, k: u8, m: u32) -> impl Iterator<Item = usize> {
    let (h1, h2) = (hash as u32, (hash >> 32) as u32 | 1);
    (0..k as u32).map(move |i| {
        let x = h1.wrapping_add(i.wrapping_mul(h2));
        ((x as u64 * m as u64) >> 32) as usize
    })
}

/// Collects the hashes of a row group's tokens.
#[derive(Default)]
pub(super) struct TokenBuilder {
    hashes: DistinctHashes,
}

/// A set of 64-bit hashes that remembers them in insertion order: an open-addressing
/// table (a token repeats in most lines of a row group, so most inserts find it there).
#[derive(Default)]
struct DistinctHashes {
    /// Power-of-two slots, 0 for empty (the hash 0 is kept by `has_zero`).
    slots: Vec<u64>,
    has_zero: bool,
    distinct: Vec<u64>,
}

impl DistinctHashes {
    fn insert(&mut self, hash: u64) {
        if hash == 0 {
            if !self.has_zero {
                self.has_zero = true;
                self.distinct.push(0);
            }
            return;
        }
        if (self.distinct.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        // The low bits choose a bloom filter's bits; the slot starts from the high ones.
        let mut i = hash.rotate_left(24) as usize & mask;
        loop {
            match self.slots[i] {
                0 => {
                    self.slots[i] = hash;
                    self.distinct.push(hash);
                    return;
                }
                h if h == hash => return,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1 << 12);
        self.slots = vec![0; size];
        let mask = size - 1;
        for &h in self.distinct.iter().filter(|&&h| h != 0) {
            let mut i = h.rotate_left(24) as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = h;
        }
    }

    fn clear(&mut self) {
        self.slots.fill(0);
        self.has_zero = false;
        self.distinct.clear();
    }
}

impl TokenBuilder {
    /// Adds every whole token of `line`, and its aligned pieces.
    pub(super) fn add_line(&mut self, line: &[u8]) {
        for r in tokens(line) {
            self.add_token(&line[r]);
        }
    }

    /// Adds `token` as it is (a trace id of the row, say), and its aligned pieces.
    pub(super) fn add_token(&mut self, token: &[u8]) {
        self.hashes.insert(xxh3_64(token));
        for piece in pieces(token, 0) {
            self.hashes.insert(xxh3_64_with_seed(piece, PIECE_SEED));
        }
    }

    /// Appends the section for the tokens added since the last call to `out`, and starts
    /// afresh.
    pub(super) fn finish_into(&mut self, out: &mut Vec<u8>) {
        let m = (self.hashes.distinct.len() * BITS_PER_TOKEN)
            .clamp(64, MAX_BITS)
            .next_multiple_of(64);
        out.push(HASHES);
        out.extend_from_slice(&(m as u32).to_le_bytes());
        let start = out.len();
        out.resize(start + m / 8, 0);
        let bits = &mut out[start..];
        for &h in &self.hashes.distinct {
            for p in bit_positions(h, HASHES, m as u32) {
                bits[p / 8] |= 1 << (p % 8);
            }
        }
        self.hashes.clear();
    }
}

/// A token section read from a serialized filter.
pub(super) struct TokenSection<'a> {
    hashes: u8,
    bits: &'a [u8],
}

impl<'a> TokenSection<'a> {
    /// Reads the section at the reader's position; `None` when it is malformed.
    pub(super) fn read(r: &mut Reader<'a>) -> Option<Self> {
        let hashes = r.byte()?;
        let m = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
        if hashes == 0 || m == 0 || !m.is_multiple_of(64) || m > MAX_BITS {
            return None;
        }
        Some(TokenSection {
            hashes,
            bits: r.take(m / 8)?,
        })
    }

    /// False when `token` is no whole token of any line (nor a trace id of any row): its
    /// hash and those of its aligned pieces must all pass.
    pub(super) fn may_hold(&self, token: &[u8]) -> bool {
        self.has(xxh3_64(token)) && self.may_hold_pieces(token, 0)
    }

    /// False when some piece of `token` at `phase + 8j` is no aligned piece of any token.
    fn may_hold_pieces(&self, token: &[u8], phase: usize) -> bool {
        pieces(token, phase).all(|piece| self.has(xxh3_64_with_seed(piece, PIECE_SEED)))
    }

    /// False when no line can contain `needle`, judged by its tokens.
    pub(super) fn may_contain(&self, needle: &[u8]) -> bool {
        needle_tokens(needle).all(|t| {
            if t.left && t.right {
                return self.may_hold(t.bytes);
            }
            let phases = if t.left { 0..1 } else { 0..PIECE };
            // The token is ruled out when every phase has a piece that no line holds.
            phases.into_iter().any(|p| self.may_hold_pieces(t.bytes, p))
        })
    }

    fn has(&self, hash: u64) -> bool {
        let m = (self.bits.len() * 8) as u32;
        bit_positions(hash, self.hashes, m).all(|p| self.bits[p / 8] & (1 << (p % 8)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs<'a>(it: impl Iterator<Item = &'a [u8]>) -> Vec<&'a str> {
        it.map(|t| std::str::from_utf8(t).unwrap()).collect()
    }

    #[test]
    fn tokens_are_runs_of_word_bytes() {
        let line = b"ts=2026-01-05 trace_id=4bf9 msg=\"caf\xc3\xa9 ok\"";
        let all: Vec<&[u8]> = tokens(line).map(|r| &line[r]).collect();
        assert_eq!(
            strs(all.into_iter()),
            ["ts", "2026", "01", "05", "trace_id", "4bf9", "msg", "café", "ok"]
        );
    }

    #[test]
    fn distinct_hashes_keep_each_once_in_insertion_order() {
        let mut set = DistinctHashes::default();
        let inputs: Vec<u64> = (0..20_000u64)
            .map(|i| xxh3_64(&(i % 7_001).to_le_bytes()))
            .chain([0, 5, 0])
            .collect();
        for round in 0..2 {
            for &h in &inputs {
                set.insert(h);
            }
            let mut expected: Vec<u64> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for &h in &inputs {
                if seen.insert(h) {
                    expected.push(h);
                }
            }
            assert_eq!(set.distinct, expected, "round {round}");
            set.clear();
        }
    }

    #[test]
    fn needle_tokens_know_which_sides_are_bounded() {
        let sides = |n: &'static [u8]| -> Vec<(&'static str, bool, bool)> {
            needle_tokens(n)
                .map(|t| (std::str::from_utf8(t.bytes).unwrap(), t.left, t.right))
                .collect()
        };
        assert_eq!(
            sides(b"x id=42 "),
            [("x", false, true), ("id", true, true), ("42", true, true)]
        );
        assert_eq!(sides(b"req-0003"), [("req", false, true), ("0003", true, false)]);
        assert_eq!(sides(b"4bf92f35"), [("4bf92f35", false, false)]);
    }

    #[test]
    fn pieces_start_at_the_phase_and_stop_before_a_short_tail() {
        let token = b"0123456789abcdefghij";
        assert_eq!(strs(pieces(token, 0)), ["01234567", "89abcdef"]);
        assert_eq!(strs(pieces(token, 5)), ["56789abc"]);
        assert_eq!(strs(pieces(token, 13)), Vec::<&str>::new());
        assert_eq!(strs(pieces(token, 40)), Vec::<&str>::new());
    }
}
