//! Byte-stream-split `DOUBLE` pages (every samples file's values), joined.
//!
//! A byte-stream-split page of `n` values holds eight streams of `n` bytes: the first
//! bytes of all values, then all their second bytes, and so on. parquet-rs puts each
//! value back together one byte at a time, with a bounds check per byte: about 2.6 ns a
//! value, a quarter of a samples read. Here sixteen values are joined at once in SSE2
//! registers on x86-64, and eight at once elsewhere, as an 8×8 transpose of bytes in
//! eight 64-bit words (about 0.6 ns a value); only the rows asked for are joined. The
//! pages come from [`super::flat_pages`].

use super::flat_pages::PageDecoder;
use arrow::datatypes::DataType;
use parquet::basic::{Encoding, Type as PhysicalType};
use std::ops::Range;

/// Byte-stream-split pages of `DOUBLE`s, decoded as [`join_f64`] joins them.
pub(super) struct SplitFloats;

impl PageDecoder for SplitFloats {
    type Value = f64;
    type Array = arrow::array::Float64Array;
    const DATA_TYPE: DataType = DataType::Float64;
    const PHYSICAL: PhysicalType = PhysicalType::DOUBLE;
    const ENCODING: Encoding = Encoding::BYTE_STREAM_SPLIT;

    fn append(bytes: &[u8], n: usize, runs: &[Range<usize>], out: &mut Vec<f64>) -> bool {
        if bytes.len() != n * 8 {
            return false;
        }
        for run in runs {
            join_f64(bytes, n, run.clone(), out);
        }
        true
    }
}

/// Appends values `which` of a byte-stream-split page of `n` eight-byte values (`bytes`:
/// its eight streams of `n` bytes) to `out` as `f64`s, bit for bit.
fn join_f64(bytes: &[u8], n: usize, which: Range<usize>, out: &mut Vec<f64>) {
    let streams: [&[u8]; 8] = std::array::from_fn(|j| &bytes[j * n..(j + 1) * n][which.clone()]);
    // Reserved once and appended sixteen, then eight values at a time: the output is
    // never zeroed before it is written.
    out.reserve(which.len());
    // SAFETY: every x86-64 processor has SSE2.
    #[cfg(target_arch = "x86_64")]
    let joined = unsafe { sse2::join_sixteens(&streams, out) };
    #[cfg(not(target_arch = "x86_64"))]
    let joined = 0;
    let whole = joined + (which.len() - joined) / 8 * 8;
    for i in (joined..whole).step_by(8) {
        let mut rows: [u64; 8] = std::array::from_fn(|j| {
            u64::from_le_bytes(streams[j][i..i + 8].try_into().expect("eight bytes"))
        });
        transpose_bytes(&mut rows);
        out.extend_from_slice(&rows.map(f64::from_bits));
    }
    out.extend((whole..which.len()).map(|k| f64::from_le_bytes(std::array::from_fn(|j| streams[j][k]))));
}

/// Transposes the 8×8 matrix of bytes whose row `j` is word `j` (byte `k` of a word being
/// its `k`-th least significant): three rounds swap the off-diagonal blocks of 4×4, 2×2
/// and 1×1 bytes.
fn transpose_bytes(w: &mut [u64; 8]) {
    const LOW_HALVES: u64 = 0x0000_0000_FFFF_FFFF;
    const LOW_PAIRS: u64 = 0x0000_FFFF_0000_FFFF;
    const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    for j in 0..4 {
        let (a, b) = (w[j], w[j + 4]);
        w[j] = (a & LOW_HALVES) | (b << 32);
        w[j + 4] = (a >> 32) | (b & !LOW_HALVES);
    }
    for j in [0, 1, 4, 5] {
        let (a, b) = (w[j], w[j + 2]);
        w[j] = (a & LOW_PAIRS) | ((b & LOW_PAIRS) << 16);
        w[j + 2] = ((a >> 16) & LOW_PAIRS) | (b & !LOW_PAIRS);
    }
    for j in [0, 2, 4, 6] {
        let (a, b) = (w[j], w[j + 1]);
        w[j] = (a & LOW_BYTES) | ((b & LOW_BYTES) << 8);
        w[j + 1] = ((a >> 8) & LOW_BYTES) | (b & !LOW_BYTES);
    }
}

/// The byte transposition in the 128-bit registers every x86-64 processor has.
#[cfg(target_arch = "x86_64")]
mod sse2 {
    use std::arch::x86_64::*;

    /// Appends the values of `streams` (byte `j` of value `k` is `streams[j][k]`; all
    /// of one length) to `out`, sixteen at a time, as many as there are whole sixteens,
    /// and returns how many that is. Three rounds of interleaving turn sixteen bytes of
    /// each stream into sixteen values: bytes pair up, then pairs, then quadruples.
    /// Panics unless `out` has room reserved for them.
    #[target_feature(enable = "sse2")]
    pub(super) fn join_sixteens(streams: &[&[u8]; 8], out: &mut Vec<f64>) -> usize {
        let whole = streams[0].len() / 16 * 16;
        let room = &mut out.spare_capacity_mut()[..whole];
        for i in (0..whole).step_by(16) {
            let a: [__m128i; 8] = std::array::from_fn(|j| {
                let bytes = &streams[j][i..i + 16];
                // SAFETY: `bytes` holds the sixteen bytes read; the load is unaligned.
                unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
            });
            // Values 0–7 and 8–15, bytes 2p and 2p + 1 side by side for each pair p.
            let pairs = [
                [_mm_unpacklo_epi8(a[0], a[1]), _mm_unpackhi_epi8(a[0], a[1])],
                [_mm_unpacklo_epi8(a[2], a[3]), _mm_unpackhi_epi8(a[2], a[3])],
                [_mm_unpacklo_epi8(a[4], a[5]), _mm_unpackhi_epi8(a[4], a[5])],
                [_mm_unpacklo_epi8(a[6], a[7]), _mm_unpackhi_epi8(a[6], a[7])],
            ];
            // Values 4q to 4q + 3, bytes 0–3 (`low`) and 4–7 (`high`) of each.
            let (low, high) = (quads(pairs[0], pairs[1]), quads(pairs[2], pairs[3]));
            let dst = room[i..i + 16].as_mut_ptr().cast::<__m128i>();
            for q in 0..4 {
                let two = [
                    _mm_unpacklo_epi32(low[q], high[q]),
                    _mm_unpackhi_epi32(low[q], high[q]),
                ];
                for (h, v) in two.into_iter().enumerate() {
                    // SAFETY: `dst` points at room for sixteen values; register 2q + h
                    // holds values 4q + 2h and 4q + 2h + 1; the store is unaligned.
                    unsafe { _mm_storeu_si128(dst.add(2 * q + h), v) };
                }
            }
        }
        // SAFETY: the first `whole` values of the room were all written above.
        unsafe { out.set_len(out.len() + whole) };
        whole
    }

    /// Sixteen values' pairs of bytes from two pairs of streams (`x`: bytes 2p and
    /// 2p + 1, `y`: the next two) as four registers of four values' four bytes.
    #[target_feature(enable = "sse2")]
    fn quads(x: [__m128i; 2], y: [__m128i; 2]) -> [__m128i; 4] {
        [
            _mm_unpacklo_epi16(x[0], y[0]),
            _mm_unpackhi_epi16(x[0], y[0]),
            _mm_unpacklo_epi16(x[1], y[1]),
            _mm_unpackhi_epi16(x[1], y[1]),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::flat_pages::{flat_leaf, read_flat};
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::{Float64Type, Int64Type};
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::RowSelector;
    use parquet::basic::Compression;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// A page's streams for `values`, as a writer lays them out.
    fn split(values: &[f64]) -> Vec<u8> {
        (0..8)
            .flat_map(|j| values.iter().map(move |v| v.to_le_bytes()[j]))
            .collect()
    }

    proptest! {
        #[test]
        fn joined_values_are_the_written_ones_bit_for_bit(
            bits in proptest::collection::vec(any::<u64>(), 0..70),
            cut in (0usize..70, 0usize..70),
        ) {
            let values: Vec<f64> = bits.iter().map(|&b| f64::from_bits(b)).collect();
            let n = values.len();
            let (a, b) = (cut.0.min(n), cut.1.min(n));
            let which = a.min(b)..a.max(b);
            let mut out = vec![1.5];
            join_f64(&split(&values), n, which.clone(), &mut out);
            prop_assert_eq!(out[0].to_bits(), 1.5f64.to_bits());
            let got: Vec<u64> = out[1..].iter().map(|v| v.to_bits()).collect();
            prop_assert_eq!(got, bits[which].to_vec());
        }
    }

    /// The bits of row `i`'s float in [`write_floats`]: all kinds, NaN payloads included.
    fn bits_of_row(i: u64) -> u64 {
        match i % 5 {
            0 => (i as f64 * 0.25).to_bits(),
            1 => 0x7ff8_0000_0000_0000 | i,
            2 => i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
            3 => (-(i as f64)).to_bits(),
            _ => f64::INFINITY.to_bits(),
        }
    }

    /// A file of `rows` rows in groups of 128, pages of 10 rows, with the columns: `n` (the
    /// row number), `x` (required, byte-stream-split), `y` (nullable, byte-stream-split,
    /// every seventh row null) and `z` (required, plain).
    fn write_floats(storage: &crate::Storage, rel: &str, rows: u64, version: WriterVersion) {
        use arrow::array::{Float64Array, Int64Array, RecordBatch};
        use arrow::datatypes::{DataType, Field, Schema};
        let x = Float64Array::from_iter_values((0..rows).map(|i| f64::from_bits(bits_of_row(i))));
        let y = Float64Array::from_iter((0..rows).map(|i| (i % 7 != 0).then_some(i as f64)));
        let z = Float64Array::from_iter_values((0..rows).map(|i| i as f64 / 3.0));
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("x", DataType::Float64, false),
            Field::new("y", DataType::Float64, true),
            Field::new("z", DataType::Float64, false),
        ]));
        let n = Int64Array::from_iter_values(0..rows as i64);
        let columns: Vec<arrow::array::ArrayRef> = vec![Arc::new(n), Arc::new(x), Arc::new(y), Arc::new(z)];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let props = WriterProperties::builder()
            .set_writer_version(version)
            .set_dictionary_enabled(false)
            .set_data_page_row_count_limit(10)
            .set_write_batch_size(10)
            .set_max_row_group_row_count(Some(128))
            .set_compression(Compression::ZSTD(Default::default()))
            .set_column_encoding("x".into(), Encoding::BYTE_STREAM_SPLIT)
            .set_column_encoding("y".into(), Encoding::BYTE_STREAM_SPLIT)
            .set_column_encoding("z".into(), Encoding::PLAIN)
            .build();
        let staged = storage.stage(rel).unwrap();
        let file = std::fs::File::create(staged.path()).unwrap();
        let mut writer = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        storage.publish(staged).unwrap();
    }

    #[test]
    fn only_required_split_doubles_take_this_path_and_read_in_full() {
        for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
            let dir = tempfile::tempdir().unwrap();
            let storage = crate::Storage::local(dir.path());
            write_floats(&storage, "f.parquet", 300, version);
            let handle = Arc::new(storage.open_file("f.parquet").unwrap());
            let metadata = storage.parquet_metadata("f.parquet", &handle).unwrap();
            let groups = [0, 1, 2];
            let leaf = |c| flat_leaf::<SplitFloats>(metadata.metadata(), &groups, c);
            assert_eq!([leaf(0), leaf(1), leaf(2), leaf(3)], [None, Some(1), None, None]);
            let selectors = [
                RowSelector::skip(5),
                RowSelector::select(290),
                RowSelector::skip(5),
            ];
            let values = read_flat::<SplitFloats>(&handle, metadata.metadata(), &groups, &selectors, 1)
                .unwrap()
                .expect("every page is a byte-stream-split page");
            let bits: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(bits, (5..295).map(bits_of_row).collect::<Vec<_>>());
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn whole_reads_give_every_column_its_rows_bit_for_bit(
            cuts in proptest::collection::btree_set(0u64..300, 0..12),
            v1 in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let storage = crate::Storage::local(dir.path());
            let version = if v1 { WriterVersion::PARQUET_1_0 } else { WriterVersion::PARQUET_2_0 };
            write_floats(&storage, "f.parquet", 300, version);
            let cuts: Vec<u64> = cuts.into_iter().collect();
            let ranges: Vec<Range<u64>> = cuts.chunks(2).filter(|c| c.len() == 2).map(|c| c[0]..c[1]).collect();
            let batches = super::super::read_row_ranges_whole(&storage, "f.parquet", &ranges, &[0, 1, 2, 3]).unwrap();
            let rows: Vec<u64> = ranges.iter().cloned().flatten().collect();
            prop_assert_eq!(batches.len(), usize::from(!rows.is_empty()));
            let Some(batch) = batches.first() else { return Ok(()) };
            let float_bits = |c: usize| -> Vec<Option<u64>> {
                batch.column(c).as_primitive::<Float64Type>().iter().map(|v| v.map(f64::to_bits)).collect()
            };
            let numbers: Vec<i64> = batch.column(0).as_primitive::<Int64Type>().values().to_vec();
            prop_assert_eq!(numbers, rows.iter().map(|&i| i as i64).collect::<Vec<_>>());
            prop_assert_eq!(float_bits(1), rows.iter().map(|&i| Some(bits_of_row(i))).collect::<Vec<_>>());
            let y: Vec<Option<u64>> = rows.iter().map(|&i| (i % 7 != 0).then(|| (i as f64).to_bits())).collect();
            prop_assert_eq!(float_bits(2), y);
            prop_assert_eq!(float_bits(3), rows.iter().map(|&i| Some((i as f64 / 3.0).to_bits())).collect::<Vec<_>>());
            prop_assert!(batch.schema().field(1).name() == "x" && !batch.schema().field(1).is_nullable());
            let arrow_read = super::super::read_row_ranges(&storage, "f.parquet", &ranges, &[0, 2]).unwrap();
            let (ours, theirs) = (batch.schema(), arrow_read[0].schema());
            prop_assert_eq!(ours.metadata(), theirs.metadata());
        }
    }
}
