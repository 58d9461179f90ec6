//! The points of an answer written from texts already made for earlier points.
//!
//! Formatting a point's value is most of the cost of a large answer, and its timestamp
//! much of the rest. Both repeat: the series of a range query share one grid of steps, and
//! monitoring data holds few distinct values (0 and 1, a counter's rate over regular
//! scrapes, the same bucket counts), so most texts can be copied instead of made again.
//! [`PointTexts`] writes the points of Prometheus' JSON this way; [`ValueTexts`] is its
//! memory of values, for any writer that puts a fixed text after each value (the CLI's
//! table puts a line's end).

use super::api_json::write_point_opening;
use parquetry_model::value::write_api_value;

/// Values remembered at once: a power of two, so that a value's slot is the top bits of a
/// multiplicative hash of its bit pattern.
const VALUE_SLOTS: usize = 1 << VALUE_SLOT_BITS;

/// See [`VALUE_SLOTS`].
const VALUE_SLOT_BITS: u32 = 10;

/// Room for one remembered text: a value's text with its close (a sign, `0.0000` and 17
/// significant digits fit with Prometheus' `"],`), or a timestamp's opening
/// `[<seconds>,"` (an `i64` of milliseconds needs at most 24 bytes). Texts are copied
/// whole, this many bytes at a time, and the output cut back to the text's length: a copy
/// of fixed size, without a call to `memcpy` for every piece.
const TEXT_BYTES: usize = 32;

/// What closes a point of Prometheus' JSON and separates it from the next.
const POINT_CLOSE: &str = "\"],";

/// One remembered text in a fixed room; the bytes after `len` are not part of it.
#[derive(Clone, Copy)]
struct Text {
    len: u8,
    bytes: [u8; TEXT_BYTES],
}

impl Text {
    /// `text` kept, or `None` when it does not fit.
    fn of(text: &[u8]) -> Option<Text> {
        let mut bytes = [0; TEXT_BYTES];
        bytes.get_mut(..text.len())?.copy_from_slice(text);
        Some(Text {
            len: text.len() as u8,
            bytes,
        })
    }

    /// Appends the text to `out`: the whole room at once, then `out` cut back to the text.
    fn push_to(&self, out: &mut Vec<u8>) {
        let end = out.len() + self.len as usize;
        out.extend_from_slice(&self.bytes);
        out.truncate(end);
    }
}

/// One remembered value: its bit pattern and its text with the close after it.
#[derive(Clone, Copy)]
struct ValueSlot {
    bits: u64,
    text: Text,
}

/// Writes values as [`write_api_value`] writes them, each followed by one fixed text (its
/// close), from the texts of the values most recently written (one per slot of a small
/// table) where it can. It holds a few tens of kilobytes; make one per thread and answer
/// (or piece of one).
pub struct ValueTexts {
    slots: Box<[ValueSlot; VALUE_SLOTS]>,
    close: &'static str,
    /// Where a text not remembered is made.
    scratch: String,
}

impl ValueTexts {
    /// Nothing remembered yet; every value written will be followed by `close`. Values
    /// whose text and close do not fit a room of 32 bytes are made anew each time.
    /// Panics if `close` is longer than 31 bytes.
    pub fn new(close: &'static str) -> ValueTexts {
        // An empty slot holds zero's own text, so that no slot is ever wrong.
        let zero = Text::of(format!("0{close}").as_bytes()).expect("a close of at most 31 bytes");
        ValueTexts {
            slots: Box::new([ValueSlot { bits: 0, text: zero }; VALUE_SLOTS]),
            close,
            scratch: String::new(),
        }
    }

    /// Writes `v`'s text and the close, copied from its slot when the slot holds `v`;
    /// made (and kept in the slot, when it is short enough) otherwise.
    pub fn push(&mut self, out: &mut Vec<u8>, v: f64) {
        let bits = v.to_bits();
        let slot =
            &mut self.slots[(bits.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - VALUE_SLOT_BITS)) as usize];
        if slot.bits == bits {
            slot.text.push_to(out);
            return;
        }
        self.scratch.clear();
        write_api_value(&mut self.scratch, v);
        self.scratch.push_str(self.close);
        out.extend_from_slice(self.scratch.as_bytes());
        if let Some(text) = Text::of(self.scratch.as_bytes()) {
            *slot = ValueSlot { bits, text };
        }
    }
}

/// Writes points as [`write_point`](super::api_json::write_point) does, from the texts
/// of earlier points where it can: the opening `[<seconds>,"` of every timestamp written
/// in ascending order so far, and the texts of recent values ([`ValueTexts`]). One per
/// thread and answer (or piece of one); it holds a few tens of kilobytes and the
/// timestamps' texts.
pub struct PointTexts {
    /// Timestamps in ascending order and their openings.
    openings: Vec<(i64, Text)>,
    values: ValueTexts,
    /// Where an opening not remembered is made.
    scratch: String,
}

impl Default for PointTexts {
    fn default() -> Self {
        PointTexts {
            openings: Vec::new(),
            values: ValueTexts::new(POINT_CLOSE),
            scratch: String::new(),
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
    pub fn write_points(&mut self, out: &mut Vec<u8>, points: &[(i64, f64)]) {
        let mut next_opening = 0;
        for &(t, v) in points {
            self.write_opening(out, t, &mut next_opening);
            self.values.push(out, v);
        }
        if !points.is_empty() {
            // The last point's comma.
            out.pop();
        }
    }

    /// Writes `[<seconds>,"` for `t`. `next` is where the search for `t` among the
    /// remembered timestamps starts; it moves past the ones below `t`. A timestamp after
    /// every remembered one is remembered in turn.
    fn write_opening(&mut self, out: &mut Vec<u8>, t: i64, next: &mut usize) {
        while self.openings.get(*next).is_some_and(|(at, _)| *at < t) {
            *next += 1;
        }
        if let Some((at, text)) = self.openings.get(*next)
            && *at == t
        {
            text.push_to(out);
            return;
        }
        self.scratch.clear();
        write_point_opening(&mut self.scratch, t);
        out.extend_from_slice(self.scratch.as_bytes());
        if *next == self.openings.len() {
            let text = Text::of(self.scratch.as_bytes()).expect("an opening fits its room");
            self.openings.push((t, text));
            *next += 1;
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
            let mut out = Vec::new();
            texts.write_points(&mut out, points);
            assert_eq!(String::from_utf8(out).unwrap(), one_by_one(points));
        }
    }

    #[test]
    fn values_sharing_a_slot_each_keep_their_own_text() {
        let mut texts = PointTexts::new();
        let points: Vec<(i64, f64)> = (0..20_000)
            .map(|i| (i * 1_000, (i % 3_000) as f64 / 7.0))
            .collect();
        for _ in 0..2 {
            let mut out = Vec::new();
            texts.write_points(&mut out, &points);
            assert!(out == one_by_one(&points).as_bytes(), "the texts differ");
        }
    }

    #[test]
    fn values_with_another_close_read_as_written_one_by_one() {
        // Repeated values, values sharing slots, zeros of both signs (an empty slot holds
        // zero's text) and texts too long to keep.
        let values: Vec<f64> = (0..5_000)
            .map(|i| match i % 5 {
                0 => 0.0,
                1 => -0.0,
                2 => (i % 2_000) as f64 / 7.0,
                3 => -1.2345678901234567e-300,
                _ => 1.0,
            })
            .collect();
        let mut texts = ValueTexts::new("\n");
        let mut out = Vec::new();
        let mut want = String::new();
        for &v in values.iter().chain(&values) {
            texts.push(&mut out, v);
            want.push_str(&parquetry_model::value::format_api_value(v));
            want.push('\n');
        }
        assert!(out == want.as_bytes(), "the texts differ");
    }
}
