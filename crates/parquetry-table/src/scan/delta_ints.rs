//! `DELTA_BINARY_PACKED` `INT64` pages (every samples file's timestamps), decoded.
//!
//! A page starts with a header: the values in a block, the miniblocks in a block, the
//! page's value count and its first value. Blocks follow, each with its smallest delta,
//! one bit width per miniblock and the miniblocks: each value's delta less the smallest,
//! packed least significant bit first in its miniblock's width. The last miniblock used
//! is padded to full length; miniblocks past the last value are left out.
//!
//! Samples scraped at a steady interval have equal deltas (bit width 0: a miniblock is
//! an arithmetic progression) or deltas a few milliseconds apart (a few bits, cut out
//! eight at a time with shifts fixed for the width). Values are decoded onto the end of
//! the column's values. Of a page of which only some rows are wanted, the miniblocks
//! holding none of them are summed rather than written (one product for bit width 0).
//! The pages come from
//! [`super::flat_pages`].

use super::flat_pages::PageDecoder;
use arrow::datatypes::DataType;
use parquet::basic::{Encoding, Type as PhysicalType};
use std::ops::Range;

/// Delta-binary-packed pages of `INT64`s.
pub(super) struct DeltaInts;

impl PageDecoder for DeltaInts {
    type Value = i64;
    type Array = arrow::array::Int64Array;
    const DATA_TYPE: DataType = DataType::Int64;
    const PHYSICAL: PhysicalType = PhysicalType::INT64;
    const ENCODING: Encoding = Encoding::DELTA_BINARY_PACKED;

    fn append(bytes: &[u8], n: usize, runs: &[Range<usize>], out: &mut Vec<i64>) -> bool {
        decode(bytes, n, runs, out).is_some()
    }
}

/// Appends the values in `runs` (ascending ranges, neither empty nor meeting one another)
/// of the page `bytes`, which must say it holds `n` values, to `out`. `None` when the
/// bytes are not such a page, a run ends past `n`, or a bit width is over 64.
///
/// Each value is its predecessor plus a delta, so every value up to the last wanted one
/// is accounted for; but a miniblock with no wanted value is only summed: a bit width of
/// 0 moves the last value on by one product, any other adds up its deltas without
/// writing them.
fn decode(bytes: &[u8], n: usize, runs: &[Range<usize>], out: &mut Vec<i64>) -> Option<()> {
    let mut r = Cursor { bytes, at: 0 };
    let block = usize::try_from(r.uleb()?).ok()?;
    let minis = usize::try_from(r.uleb()?).ok()?;
    let total = usize::try_from(r.uleb()?).ok()?;
    let first = r.zigzag()?;
    if block == 0 || block % 128 != 0 || minis == 0 || block % minis != 0 || (block / minis) % 32 != 0 {
        return None;
    }
    let count = runs.last().map_or(0, |run| run.end);
    if total != n || count > n {
        return None;
    }
    if count == 0 {
        return Some(());
    }
    let per_mini = block / minis;
    out.reserve(runs.iter().map(|run| run.len()).sum());
    let mut wanted = Wanted { runs, next: 0 };
    if wanted.overlaps(0..1) {
        out.push(first);
    }
    let (mut last, mut done) = (first, 1);
    // A miniblock's values when only some of them are wanted.
    let mut part = Vec::new();
    while done < count {
        let min_delta = r.zigzag()?;
        let widths = r.take(minis)?;
        for &width in widths {
            if done == count {
                break;
            }
            let width = u32::from(width);
            if width > 64 {
                return None;
            }
            let take = per_mini.min(count - done);
            // A miniblock spans `per_mini` values (a multiple of 32), so whole bytes.
            let body = r.take(per_mini.checked_mul(width as usize)? / 8)?;
            let values = done..done + take;
            last = if !wanted.overlaps(values.clone()) {
                skip(body, width, take, min_delta, last)
            } else if wanted.covers(values.clone()) {
                unpack(body, width, take, min_delta, last, out)
            } else {
                part.clear();
                let last = unpack(body, width, take, min_delta, last, &mut part);
                wanted.copy(&part, values.start, out);
                last
            };
            done += take;
        }
    }
    Some(())
}

/// The runs of a page's values still to be met, as its miniblocks are decoded in order.
struct Wanted<'a> {
    runs: &'a [Range<usize>],
    /// The first run not wholly before the values at hand.
    next: usize,
}

impl Wanted<'_> {
    /// Whether a run holds any of `values` (which start at or after the last ones asked
    /// about); runs that end before them are passed.
    fn overlaps(&mut self, values: Range<usize>) -> bool {
        while self
            .runs
            .get(self.next)
            .is_some_and(|run| run.end <= values.start)
        {
            self.next += 1;
        }
        self.runs.get(self.next).is_some_and(|run| run.start < values.end)
    }

    /// Whether one run holds all of `values`.
    fn covers(&self, values: Range<usize>) -> bool {
        self.runs
            .get(self.next)
            .is_some_and(|run| run.start <= values.start && values.end <= run.end)
    }

    /// Appends to `out` the wanted ones of `values`, the values numbered from `from` on.
    fn copy(&self, values: &[i64], from: usize, out: &mut Vec<i64>) {
        let to = from + values.len();
        for run in &self.runs[self.next..] {
            if run.start >= to {
                break;
            }
            out.extend_from_slice(&values[run.start.max(from) - from..run.end.min(to) - from]);
        }
    }
}

/// `$call::<W>$args` with `W` the bit width `$width` (1 to 64, checked before) as a
/// constant: one function monomorphised per width.
macro_rules! by_width {
    ($width:expr, $call:ident $args:tt) => {
        by_width!(@$width, $call $args; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21
            22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48
            49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64)
    };
    (@$width:expr, $call:ident $args:tt; $($w:literal)*) => {
        match $width {
            $($w => $call::<$w> $args,)*
            _ => unreachable!("bit widths are checked to be at most 64"),
        }
    };
}

/// The last of `take` values that [`unpack`] would give, without writing any: `last`
/// plus `take` times `min_delta` plus the sum of the `width`-bit deltas. (Wrapping sums
/// give the same whatever their order.)
fn skip(body: &[u8], width: u32, take: usize, min_delta: i64, last: i64) -> i64 {
    let steps = last.wrapping_add(min_delta.wrapping_mul(take as i64));
    let deltas = match width {
        0 => 0,
        _ => by_width!(width, sum_width(body, take)),
    };
    steps.wrapping_add(deltas as i64)
}

/// The (wrapping) sum of the first `take` `W`-bit deltas in `body`.
fn sum_width<const W: usize>(body: &[u8], take: usize) -> u64 {
    let mut sum = 0u64;
    let mut left = take;
    for group in body.chunks_exact(W) {
        if left == 0 {
            break;
        }
        let n = left.min(8);
        let deltas = eight_deltas::<W>(group);
        sum = deltas[..n].iter().fold(sum, |s, &d| s.wrapping_add(d));
        left -= n;
    }
    sum
}

/// Appends `take` values to `out`, each the one before (`last` for the first) plus
/// `min_delta` plus its `width`-bit delta from `body`, and returns the last of them.
/// `body` must hold the deltas in whole groups of eight (a miniblock's do).
fn unpack(body: &[u8], width: u32, take: usize, min_delta: i64, last: i64, out: &mut Vec<i64>) -> i64 {
    if width == 0 {
        let mut value = last;
        out.extend((0..take).map(|_| {
            value = value.wrapping_add(min_delta);
            value
        }));
        return value;
    }
    by_width!(width, unpack_width(body, take, min_delta, last, out))
}

/// [`unpack`] for deltas `W` bits wide: eight deltas fill `W` bytes, so a group of eight
/// is cut out of its bytes with shifts the compiler knows.
fn unpack_width<const W: usize>(
    body: &[u8],
    take: usize,
    min_delta: i64,
    last: i64,
    out: &mut Vec<i64>,
) -> i64 {
    let mut value = last;
    let mut left = take;
    for group in body.chunks_exact(W) {
        if left == 0 {
            break;
        }
        let deltas = eight_deltas::<W>(group);
        let mut sum = value;
        let values: [i64; 8] = std::array::from_fn(|i| {
            sum = sum.wrapping_add(min_delta).wrapping_add(deltas[i] as i64);
            sum
        });
        let n = left.min(8);
        out.extend_from_slice(&values[..n]);
        value = values[n - 1];
        left -= n;
    }
    value
}

/// The eight `W`-bit deltas packed in `group` (`W` bytes), least significant bit first.
#[inline(always)]
fn eight_deltas<const W: usize>(group: &[u8]) -> [u64; 8] {
    // Room for a 16-byte read at the last delta's first byte (56 at most).
    let mut padded = [0u8; 72];
    padded[..W].copy_from_slice(&group[..W]);
    let mask = u64::MAX >> (64 - W);
    std::array::from_fn(|i| {
        let (at, shift) = (i * W / 8, i * W % 8);
        // A delta starts anywhere in its first byte: eight bytes hold it up to 56 bits wide.
        if W <= 56 {
            let word = u64::from_le_bytes(padded[at..at + 8].try_into().expect("eight bytes"));
            (word >> shift) & mask
        } else {
            let word = u128::from_le_bytes(padded[at..at + 16].try_into().expect("sixteen bytes"));
            (word >> shift) as u64 & mask
        }
    })
}

/// A reader of a page's header and blocks.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    /// An unsigned LEB128 number: seven bits a byte, least significant first.
    fn uleb(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// A zigzag-encoded signed number (0, -1, 1, -2, … as 0, 1, 2, 3, …) in LEB128.
    fn zigzag(&mut self) -> Option<i64> {
        let u = self.uleb()?;
        Some((u >> 1) as i64 ^ -((u & 1) as i64))
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::flat_pages::{flat_leaf, read_flat};
    use super::*;
    use arrow::array::{AsArray, Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::RowSelector;
    use parquet::basic::Compression;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// The file `rel` of one required `INT64` column `t` holding `values`,
    /// delta-binary-packed in pages of `page_rows` rows and groups of `group_rows`.
    pub(in super::super) fn write_ints(
        storage: &crate::Storage,
        rel: &str,
        values: &[i64],
        page_rows: usize,
        group_rows: usize,
        v1: bool,
    ) {
        let schema = Arc::new(Schema::new(vec![Field::new("t", DataType::Int64, false)]));
        let column: arrow::array::ArrayRef = Arc::new(Int64Array::from(values.to_vec()));
        let batch = RecordBatch::try_new(schema.clone(), vec![column]).unwrap();
        let version = if v1 {
            WriterVersion::PARQUET_1_0
        } else {
            WriterVersion::PARQUET_2_0
        };
        let props = WriterProperties::builder()
            .set_writer_version(version)
            .set_dictionary_enabled(false)
            .set_data_page_row_count_limit(page_rows)
            .set_write_batch_size(page_rows)
            .set_max_row_group_row_count(Some(group_rows))
            .set_compression(Compression::ZSTD(Default::default()))
            .set_column_encoding("t".into(), Encoding::DELTA_BINARY_PACKED)
            .build();
        let staged = storage.stage(rel).unwrap();
        let file = std::fs::File::create(staged.path()).unwrap();
        let mut writer = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        storage.publish(staged).unwrap();
    }

    /// [`decode`] of the page's first `count` values.
    fn decode_first(bytes: &[u8], n: usize, count: usize, out: &mut Vec<i64>) -> Option<()> {
        decode(bytes, n, std::slice::from_ref(&(0..count)), out)
    }

    /// Values whose deltas are of one kind, as a page's miniblocks meet them: steady
    /// steps (bit width 0), jitter (a few bits), jitter with rare wild jumps, small steps
    /// either way, or any (wrapping) steps at all (up to 64 bits).
    fn values() -> impl Strategy<Value = Vec<i64>> {
        let steps = prop_oneof![
            proptest::collection::vec(Just(15_000i64), 0..700),
            proptest::collection::vec(14_990i64..15_010, 0..700),
            proptest::collection::vec(prop_oneof![20 => 14_990i64..15_010, 1 => any::<i64>()], 0..700),
            proptest::collection::vec(-3i64..3, 0..700),
            proptest::collection::vec(any::<i64>(), 0..700),
        ];
        (any::<i64>(), steps).prop_map(|(first, steps)| {
            std::iter::once(first)
                .chain(steps.into_iter().scan(first, |v, s| {
                    *v = v.wrapping_add(s);
                    Some(*v)
                }))
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn pages_decode_to_the_values_written_in_any_selection(
            values in values(),
            page_rows in 1usize..300,
            group_rows in 1usize..900,
            picks in proptest::collection::vec((any::<bool>(), 1usize..90), 0..20),
            v1 in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let storage = crate::Storage::local(dir.path());
            write_ints(&storage, "t.parquet", &values, page_rows, group_rows, v1);
            let handle = Arc::new(storage.open_file("t.parquet").unwrap());
            let metadata = storage.parquet_metadata("t.parquet", &handle).unwrap();
            let metadata = metadata.metadata();
            let groups: Vec<usize> = (0..metadata.num_row_groups()).collect();
            prop_assert_eq!(flat_leaf::<DeltaInts>(metadata, &groups, 0), (!groups.is_empty()).then_some(0));
            let mut selectors = Vec::new();
            let mut wanted = Vec::new();
            let mut at = 0;
            for (select, rows) in picks {
                let rows = rows.min(values.len() - at);
                if select {
                    selectors.push(RowSelector::select(rows));
                    wanted.extend_from_slice(&values[at..at + rows]);
                } else {
                    selectors.push(RowSelector::skip(rows));
                }
                at += rows;
            }
            let read = read_flat::<DeltaInts>(&handle, metadata, &groups, &selectors, 0).unwrap();
            prop_assert_eq!(read, Some(wanted));
        }

        #[test]
        fn damaged_pages_are_refused_or_decoded_without_panicking(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            n in 0usize..300,
            count in 0usize..300,
        ) {
            let mut out = Vec::new();
            if decode_first(&bytes, n, count, &mut out).is_some() {
                prop_assert_eq!(out.len(), count);
            }
        }
    }

    #[test]
    fn whole_reads_take_timestamps_from_their_pages() {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::Storage::local(dir.path());
        let values: Vec<i64> = (0..1000)
            .map(|i| 1_767_571_200_000 + i * 15_000 + i % 7)
            .collect();
        write_ints(&storage, "t.parquet", &values, 100, 400, false);
        let batches =
            super::super::read_row_ranges_whole(&storage, "t.parquet", &[3..250, 390..995], &[0]).unwrap();
        let read: Vec<i64> = batches[0].column(0).as_primitive::<Int64Type>().values().to_vec();
        let expected: Vec<i64> = values[3..250].iter().chain(&values[390..995]).copied().collect();
        assert_eq!(read, expected);
        assert_eq!(batches[0].schema().field(0).data_type(), &DataType::Int64);
    }

    #[test]
    fn a_miniblock_too_large_to_address_is_refused() {
        // Blocks of 2^63 values in one miniblock, 2 values, first value 0; then a
        // smallest delta of 0 and a bit width of 64.
        let mut page = vec![0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
        page.extend([1, 2, 0, 0, 64]);
        assert_eq!(decode_first(&page, 2, 2, &mut Vec::new()), None);
    }

    #[test]
    fn a_header_that_disagrees_with_its_page_is_refused() {
        // Block of 128 values in 4 miniblocks, 2 values, first value 5 (zigzag 10).
        let page = [0x80, 0x01, 4, 2, 10, 2, 0, 0, 0, 0];
        let mut out = Vec::new();
        assert_eq!(decode_first(&page, 2, 2, &mut out), Some(()));
        assert_eq!(out, [5, 6]);
        assert_eq!(
            decode_first(&page, 3, 3, &mut Vec::new()),
            None,
            "the page says it holds 2"
        );
        assert_eq!(
            decode_first(&page[..5], 2, 2, &mut Vec::new()),
            None,
            "its block is missing"
        );
        let mut wide = page;
        wide[6] = 65;
        assert_eq!(
            decode_first(&wide, 2, 2, &mut Vec::new()),
            None,
            "a bit width over 64"
        );
    }
}
