//! The token section of a line filter: a bloom filter over the whole tokens of the row
//! group's lines (and the trace ids of its rows). A token is a maximal run of word bytes:
//! ASCII letters, digits and `_`, and every byte of a non-ASCII character.
//!
//! A line that contains a needle contains each of the needle's tokens that the needle
//! itself bounds on both sides (a non-word byte before and after it inside the needle) as
//! a whole token: in `"requestId":"req-000300000"` that is `requestId`, `req` and
//! `000300000`. So one such token missing from the filter rules the row group out, and a
//! unique identifier rules out nearly every row group. Tokens at the needle's ends may be
//! parts of longer tokens of the line and are not checked.
//!
//! Serialized form: one byte `k` (hash functions), the number of bits `m` as a
//! little-endian `u32` (a multiple of 64), then the bitmap, least significant bit first.
//! A token's bits are `(x_i * m) >> 32` for `x_i = h1 + i * h2` (32-bit wrapping,
//! `i < k`), where `h1` and `h2` are the low and high halves of the token's XXH3-64 hash
//! with seed 0, `h2` with its lowest bit set.

use super::Reader;
use xxhash_rust::xxh3::xxh3_64;

/// Bits of filter per distinct token and hash functions per token: about 1.3% false
/// positives per token checked.
const BITS_PER_TOKEN: usize = 9;
const HASHES: u8 = 6;
/// The largest bitmap, in bits (2 MiB): beyond it false positives grow instead.
const MAX_BITS: usize = 1 << 24;

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

/// The tokens of `needle` that it bounds on both sides, which every line containing it
/// holds whole.
pub fn bounded_tokens(needle: &[u8]) -> impl Iterator<Item = &[u8]> {
    tokens(needle)
        .filter(move |r| r.start > 0 && r.end < needle.len())
        .map(move |r| &needle[r])
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
    hashes: Vec<u64>,
}

impl TokenBuilder {
    /// Adds every whole token of `line`.
    pub(super) fn add_line(&mut self, line: &[u8]) {
        for r in tokens(line) {
            self.hashes.push(xxh3_64(&line[r]));
        }
    }

    /// Adds `token` as it is (a trace id of the row, say).
    pub(super) fn add_token(&mut self, token: &[u8]) {
        self.hashes.push(xxh3_64(token));
    }

    /// Appends the section for the tokens added since the last call to `out`, and starts
    /// afresh.
    pub(super) fn finish_into(&mut self, out: &mut Vec<u8>) {
        self.hashes.sort_unstable();
        self.hashes.dedup();
        let m = (self.hashes.len() * BITS_PER_TOKEN)
            .clamp(64, MAX_BITS)
            .next_multiple_of(64);
        out.push(HASHES);
        out.extend_from_slice(&(m as u32).to_le_bytes());
        let start = out.len();
        out.resize(start + m / 8, 0);
        let bits = &mut out[start..];
        for &h in &self.hashes {
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
        if hashes == 0 || m == 0 || m % 64 != 0 || m > MAX_BITS {
            return None;
        }
        Some(TokenSection {
            hashes,
            bits: r.take(m / 8)?,
        })
    }

    /// False when `token` is no whole token of any line (nor a trace id of any row).
    pub(super) fn may_hold(&self, token: &[u8]) -> bool {
        let m = (self.bits.len() * 8) as u32;
        bit_positions(xxh3_64(token), self.hashes, m).all(|p| self.bits[p / 8] & (1 << (p % 8)) != 0)
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
    fn only_tokens_bounded_inside_the_needle_are_checked() {
        assert_eq!(
            strs(bounded_tokens(b"\"requestId\":\"req-000300000\"")),
            ["requestId", "req", "000300000"]
        );
        assert_eq!(strs(bounded_tokens(b"req-000300000")), Vec::<&str>::new());
        assert_eq!(strs(bounded_tokens(b"x id=42 ")), ["id", "42"]);
        assert_eq!(strs(bounded_tokens(b"4bf92f3577b34da6")), Vec::<&str>::new());
    }
}
