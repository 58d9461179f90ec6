//! The points of a matrix written from texts already made for earlier points.
//!
//! Formatting a point's value is most of the cost of a large answer, and its timestamp
//! much of the rest. Both repeat: the series of a range query share one grid of steps, and
//! monitoring data holds few distinct values (0 and 1, a counter's rate over regular
//! scrapes, the same bucket counts), so most texts can be copied instead of made again.

use super::api_json::write_point_opening;
use parquetry_model::value::write_api_value;
use std::ops::Range;

/// Values remembered at once: a power of two, so that a value's slot is the top bits of a
/// multiplicative hash of its bit pattern.
const VALUE_SLOTS: usize = 1 << VALUE_SLOT_BITS;

/// See [`VALUE_SLOTS`].
const VALUE_SLOT_BITS: u32 = 10;

/// Longest value text remembered: a sign, `0.0000` and 17 significant digits fit.
const VALUE_TEXT_BYTES: usize = 24;

/// One remembered value: its bit pattern and its API text.
#[derive(Clone, Copy)]
struct ValueSlot {
    bits: u64,
    len: u8,
    text: [u8; VALUE_TEXT_BYTES],
}

/// What an empty slot holds: zero's own text, so that no slot is ever wrong.
const ZERO_SLOT: ValueSlot = {
    let mut text = [0; VALUE_TEXT_BYTES];
    text[0] = b'0';
    ValueSlot {
        bits: 0,
        len: 1,
        text,
    }
};

/// Writes points as [`write_point`](super::api_json::write_point) does, from the texts
/// of earlier points where it can: the opening `[<seconds>,"` of every timestamp written
/// in ascending order so far, and the text of the values most recently written (one per
/// slot). One per thread and answer (or piece of one); it holds a few tens of kilobytes
/// and the timestamps' texts.
pub struct PointTexts {
    /// Timestamps in ascending order and where their openings are in `opening_text`.
    openings: Vec<(i64, Range<usize>)>,
    opening_text: String,
    values: Box<[ValueSlot; VALUE_SLOTS]>,
}

impl Default for PointTexts {
    fn default() -> Self {
        PointTexts {
            openings: Vec::new(),
            opening_text: String::new(),
            values: Box::new([ZERO_SLOT; VALUE_SLOTS]),
        }
    }
}

impl PointTexts {
    /// Nothing remembered yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `points` (in ascending time, as a series holds them) separated by commas,
    /// each exactly as [`write_point`](super::api_json::write_point) writes it.
    pub fn write_points(&mut self, out: &mut String, points: &[(i64, f64)]) {
        let mut next_opening = 0;
        for (i, &(t, v)) in points.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.write_opening(out, t, &mut next_opening);
            self.write_value(out, v);
            out.push_str("\"]");
        }
    }

    /// Writes `[<seconds>,"` for `t`. `next` is where the search for `t` among the
    /// remembered timestamps starts; it moves past the ones below `t`. A timestamp after
    /// every remembered one is remembered in turn.
    fn write_opening(&mut self, out: &mut String, t: i64, next: &mut usize) {
        while self.openings.get(*next).is_some_and(|(at, _)| *at < t) {
            *next += 1;
        }
        if let Some((at, range)) = self.openings.get(*next)
            && *at == t
        {
            out.push_str(&self.opening_text[range.clone()]);
            return;
        }
        let start = out.len();
        write_point_opening(out, t);
        if *next == self.openings.len() {
            let from = self.opening_text.len();
            self.opening_text.push_str(&out[start..]);
            self.openings.push((t, from..self.opening_text.len()));
            *next += 1;
        }
    }

    /// Writes `v`'s text, copied from its slot when the slot holds `v`; made (and kept in
    /// the slot, when it is short enough) otherwise.
    fn write_value(&mut self, out: &mut String, v: f64) {
        let bits = v.to_bits();
        let slot =
            &mut self.values[(bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - VALUE_SLOT_BITS)) as usize];
        if slot.bits == bits {
            let text = std::str::from_utf8(&slot.text[..slot.len as usize]).expect("written as a string");
            out.push_str(text);
            return;
        }
        let start = out.len();
        write_api_value(out, v);
        let text = &out.as_bytes()[start..];
        if text.len() <= VALUE_TEXT_BYTES {
            slot.bits = bits;
            slot.len = text.len() as u8;
            slot.text[..text.len()].copy_from_slice(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::api_json::write_point;

    fn one_by_one(points: &[(i64, f64)]) -> String {
        let texts: Vec<String> = points
            .iter()
            .map(|&(t, v)| {
                let mut out = String::new();
                write_point(&mut out, t, v);
                out
            })
            .collect();
        texts.join(",")
    }

    #[test]
    fn points_read_as_written_one_by_one_whatever_was_remembered() {
        // Values of every kind, repeated, two NaN bit patterns, both zeros, texts too
        // long to keep; timestamps on a grid, off it, with milliseconds and before 1970.
        let values = [
            0.0,
            -0.0,
            1.0,
            1.0,
            0.1,
            f64::NAN,
            parquetry_model::value::stale_nan(),
            1e300,
            1e300,
            1.5e-7,
            f64::NEG_INFINITY,
            0.017543859649122806,
            0.017543859649122806,
            -0.0,
            0.0,
        ];
        let grid: Vec<(i64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (1_767_571_200_000 + i as i64 * 60_000, v))
            .collect();
        let shifted: Vec<(i64, f64)> = grid.iter().map(|&(t, v)| (t - 30_500, v)).collect();
        let early: Vec<(i64, f64)> = (0..5).map(|i| (-2_000 + i * 999, i as f64 / 7.0)).collect();
        let mut texts = PointTexts::new();
        for points in [
            &grid,
            &grid[3..9],
            &shifted,
            &grid,
            &early,
            &grid[..2],
            &[][..],
            &grid,
        ] {
            let mut out = String::new();
            texts.write_points(&mut out, points);
            assert_eq!(out, one_by_one(points));
        }
    }

    #[test]
    fn values_sharing_a_slot_each_keep_their_own_text() {
        let mut texts = PointTexts::new();
        let points: Vec<(i64, f64)> = (0..20_000)
            .map(|i| (i * 1_000, (i % 3_000) as f64 / 7.0))
            .collect();
        for _ in 0..2 {
            let mut out = String::new();
            texts.write_points(&mut out, &points);
            assert!(out == one_by_one(&points), "the texts differ");
        }
    }
}
