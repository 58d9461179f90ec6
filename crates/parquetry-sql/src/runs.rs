//! String columns built a run at a time. A series' metric name and labels repeat on every
//! one of its samples' rows, so the `samples` table appends each series' strings once per
//! batch and copies the bytes for its other rows in one block, rather than appending
//! string after string.

use datafusion::arrow::array::NullBufferBuilder;
use datafusion::arrow::array::StringArray;
use datafusion::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use datafusion::arrow::error::ArrowError;

/// A `Utf8` column under construction.
#[derive(Debug)]
pub struct StringColumn {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    /// Which rows are null; materialised only once a null is appended.
    nulls: NullBufferBuilder,
    /// Set when the column would outgrow `Utf8`'s 2 GiB of bytes; `finish` then fails.
    overflow: bool,
}

impl StringColumn {
    /// An empty column with room for `rows` rows of `bytes` bytes in all.
    pub fn with_capacity(rows: usize, bytes: usize) -> StringColumn {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringColumn {
            offsets,
            bytes: Vec::with_capacity(bytes),
            nulls: NullBufferBuilder::new(rows),
            overflow: false,
        }
    }

    /// Appends the rows `strings` (one row each), `times` times over.
    pub fn append_repeated(&mut self, strings: &[&str], times: usize) {
        let block: usize = strings.iter().map(|s| s.len()).sum();
        let Some(end) = block
            .checked_mul(times)
            .and_then(|n| n.checked_add(self.bytes.len()))
            .filter(|&n| n <= i32::MAX as usize)
        else {
            self.overflow = true;
            return;
        };
        if times == 0 || self.overflow {
            return;
        }
        self.nulls.append_n_non_nulls(strings.len() * times);
        let start = self.bytes.len();
        for s in strings {
            self.bytes.extend_from_slice(s.as_bytes());
        }
        for _ in 1..times {
            self.bytes.extend_from_within(start..start + block);
        }
        debug_assert_eq!(self.bytes.len(), end);
        // Every offset is at most `end`, which fits an i32.
        let mut last = *self.offsets.last().unwrap_or(&0);
        for _ in 0..times {
            for s in strings {
                last += s.len() as i32;
                self.offsets.push(last);
            }
        }
    }

    /// Appends `times` null rows.
    pub fn append_nulls(&mut self, times: usize) {
        let last = *self.offsets.last().unwrap_or(&0);
        self.offsets.extend(std::iter::repeat_n(last, times));
        self.nulls.append_n_nulls(times);
    }

    /// The finished column; an error when it grew past 2 GiB of text.
    pub fn finish(mut self) -> Result<StringArray, ArrowError> {
        if self.overflow {
            return Err(ArrowError::ComputeError(
                "a string column of this batch would exceed 2 GiB".to_string(),
            ));
        }
        StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(self.offsets)),
            Buffer::from_vec(self.bytes),
            self.nulls.finish(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_repeat_their_strings() {
        let mut c = StringColumn::with_capacity(0, 0);
        c.append_repeated(&["a", "bc"], 2);
        c.append_repeated(&["zzz"], 0);
        c.append_repeated(&[""], 1);
        c.append_repeated(&["é"], 3);
        let a = c.finish().unwrap();
        let got: Vec<&str> = a.iter().map(Option::unwrap).collect();
        assert_eq!(got, ["a", "bc", "a", "bc", "", "é", "é", "é"]);
    }

    #[test]
    fn null_runs_sit_between_string_runs() {
        let mut c = StringColumn::with_capacity(0, 0);
        c.append_nulls(2);
        c.append_repeated(&["x"], 2);
        c.append_nulls(1);
        c.append_repeated(&["yz"], 1);
        let a = c.finish().unwrap();
        let got: Vec<Option<&str>> = a.iter().collect();
        assert_eq!(got, [None, None, Some("x"), Some("x"), None, Some("yz")]);
    }

    #[test]
    fn a_column_past_two_gibibytes_is_an_error_not_a_panic() {
        let mut c = StringColumn::with_capacity(0, 0);
        c.append_repeated(&["0123456789"], usize::MAX / 4);
        assert!(c.finish().is_err());
    }
}
