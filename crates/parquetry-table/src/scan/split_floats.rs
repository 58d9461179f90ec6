//! Byte-stream-split `DOUBLE` columns, read a page at a time.
//!
//! A byte-stream-split page of `n` values holds eight streams of `n` bytes: the first
//! bytes of all values, then all their second bytes, and so on. parquet-rs puts each
//! value back together one byte at a time, with a bounds check per byte: about 2.6 ns a
//! value, a quarter of a samples read. Here eight values are joined at once, as an 8×8
//! transpose of bytes in eight 64-bit words (about 0.6 ns a value), and only the rows
//! asked for are joined. Pages are still found and read by parquet-rs, and decompressed
//! by [`super::pages`]: the pages with selected rows one by one where the offset index is
//! loaded, otherwise the whole column chunk fetched in one piece.
//!
//! Only columns whose every page this reader understands take this path: a required,
//! top-level `DOUBLE` column with no dictionary and byte-stream-split data pages. The
//! scan reads every other column through the Arrow reader, as it does this one when a
//! page turns out to be of another kind.

use super::super::storage::FileReader;
use super::pages::chunk_pages;
use bytes::{Buf, Bytes};
use parquet::arrow::arrow_reader::RowSelector;
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::page_index::offset_index::PageLocation;
use parquet::file::reader::{ChunkReader, Length};
use std::ops::Range;
use std::sync::Arc;

/// The leaf of top-level column `column` when this reader can read it in row groups
/// `groups` of `metadata`'s file: a required `DOUBLE` that is a leaf itself, with only
/// byte-stream-split data in those groups (levels aside) and no dictionary page.
pub(super) fn split_float_leaf(metadata: &ParquetMetaData, groups: &[usize], column: usize) -> Option<usize> {
    let schema = metadata.file_metadata().schema_descr();
    let mut leaves = (0..schema.num_columns()).filter(|&l| schema.get_column_root_idx(l) == column);
    let leaf = leaves.next()?;
    let descr = schema.column(leaf);
    let plain_leaf = leaves.next().is_none() && descr.path().parts().len() == 1;
    if !plain_leaf
        || descr.physical_type() != PhysicalType::DOUBLE
        || descr.max_def_level() != 0
        || descr.max_rep_level() != 0
    {
        return None;
    }
    let only_split = groups.iter().all(|&g| {
        let chunk = metadata.row_group(g).column(leaf);
        let encodings: Vec<Encoding> = chunk.encodings().collect();
        chunk.dictionary_page_offset().is_none()
            && encodings.contains(&Encoding::BYTE_STREAM_SPLIT)
            && encodings
                .iter()
                .all(|e| matches!(e, Encoding::BYTE_STREAM_SPLIT | Encoding::RLE))
    });
    only_split.then_some(leaf)
}

/// The values of leaf `leaf` (one [`split_float_leaf`] accepted) in the rows `selectors`
/// choose over row groups `groups` of `metadata`'s file, one group's rows after another
/// (as the Arrow reader takes a selection). Pages holding none of the rows are skipped
/// unread where the file's offset index is in `metadata`.
///
/// `None` when a page is not a plain byte-stream-split data page after all; the caller
/// then reads the column another way. Fails when the file cannot be read, or holds fewer
/// rows than the selection.
pub(super) fn read_split_floats(
    reader: &Arc<FileReader>,
    metadata: &ParquetMetaData,
    groups: &[usize],
    selectors: &[RowSelector],
    leaf: usize,
) -> Result<Option<Vec<f64>>> {
    let wanted: usize = selectors.iter().filter(|s| !s.skip).map(|s| s.row_count).sum();
    let mut out = Vec::with_capacity(wanted);
    let group_rows: Vec<usize> = groups
        .iter()
        .map(|&g| metadata.row_group(g).num_rows() as usize)
        .collect();
    for ((&g, rows), runs) in groups
        .iter()
        .zip(&group_rows)
        .zip(runs_by_group(&group_rows, selectors))
    {
        if runs.is_empty() {
            continue;
        }
        let locations = metadata
            .offset_index()
            .and_then(|index| index.get(g))
            .and_then(|columns| columns.get(leaf))
            .map(|offsets| offsets.page_locations());
        let chunk = metadata.row_group(g).column(leaf);
        let read = match locations {
            // The pages with selected rows are fetched one by one.
            Some(locations) => {
                let pages = chunk_pages(reader.clone(), chunk, *rows, Some(locations.clone()))?;
                read_group(pages, Some(locations), *rows, &runs, &mut out)?
            }
            // Without page offsets every page is read: the chunk is fetched in one piece
            // (one request to an object store, not two per page).
            None => {
                let (start, length) = chunk.byte_range();
                let bytes = reader.get_bytes(start, usize::try_from(length).unwrap_or(usize::MAX))?;
                let fetched = Arc::new(ChunkBytes { start, bytes });
                let pages = chunk_pages(fetched, chunk, *rows, None)?;
                read_group(pages, None, *rows, &runs, &mut out)?
            }
        };
        if !read {
            return Ok(None);
        }
    }
    if out.len() != wanted {
        return Err(ParquetError::General(format!(
            "expected {wanted} values of a byte-stream-split column, read {}",
            out.len()
        )));
    }
    Ok(Some(out))
}

/// The selected rows of each group (numbered from the group's first row), ascending.
fn runs_by_group(group_rows: &[usize], selectors: &[RowSelector]) -> Vec<Vec<Range<usize>>> {
    let mut runs: Vec<Vec<Range<usize>>> = vec![Vec::new(); group_rows.len()];
    let (mut group, mut at) = (0, 0);
    for s in selectors {
        let mut left = s.row_count;
        while left > 0 && group < group_rows.len() {
            let take = left.min(group_rows[group] - at);
            if !s.skip && take > 0 {
                runs[group].push(at..at + take);
            }
            at += take;
            left -= take;
            if at == group_rows[group] {
                group += 1;
                at = 0;
            }
        }
    }
    runs
}

/// Appends one row group's values in `runs` to `out`, page by page; `false` when a page
/// is not one this reader understands.
fn read_group(
    mut pages: Box<dyn PageReader>,
    locations: Option<&[PageLocation]>,
    rows: usize,
    runs: &[Range<usize>],
    out: &mut Vec<f64>,
) -> Result<bool> {
    let mut page_start = 0;
    let mut page_number = 0;
    let mut next_run = 0;
    while next_run < runs.len() {
        if let Some(locations) = locations {
            let Some(location) = locations.get(page_number) else {
                break;
            };
            page_start = location.first_row_index as usize;
            let page_end = locations
                .get(page_number + 1)
                .map_or(rows, |l| l.first_row_index as usize);
            page_number += 1;
            if runs[next_run].start >= page_end {
                pages.skip_next_page()?;
                continue;
            }
        }
        let Some(page) = pages.get_next_page()? else {
            break;
        };
        let Some((bytes, n)) = split_values(&page) else {
            return Ok(false);
        };
        let page_end = page_start + n;
        while let Some(run) = runs.get(next_run) {
            let from = run.start.max(page_start);
            let to = run.end.min(page_end);
            if from < to {
                join_f64(bytes, n, from - page_start..to - page_start, out);
            }
            if run.end > page_end {
                break;
            }
            next_run += 1;
        }
        page_start = page_end;
    }
    Ok(true)
}

/// One column chunk's bytes, fetched at once and read at the file's offsets.
struct ChunkBytes {
    /// Where the chunk starts in the file.
    start: u64,
    bytes: Bytes,
}

impl ChunkBytes {
    /// `length` bytes (all the rest when `None`) from file offset `start`, which must lie
    /// in the chunk.
    fn slice(&self, start: u64, length: Option<usize>) -> Result<Bytes> {
        let from = start
            .checked_sub(self.start)
            .and_then(|f| usize::try_from(f).ok())
            .filter(|&f| f <= self.bytes.len());
        let to = from.map(|f| length.map_or(self.bytes.len(), |l| f.saturating_add(l)));
        match (from, to) {
            (Some(from), Some(to)) if to <= self.bytes.len() => Ok(self.bytes.slice(from..to)),
            _ => Err(ParquetError::EOF(format!(
                "bytes from {start} lie outside the column chunk read ({} bytes from {})",
                self.bytes.len(),
                self.start
            ))),
        }
    }
}

impl Length for ChunkBytes {
    fn len(&self) -> u64 {
        self.start + self.bytes.len() as u64
    }
}

impl ChunkReader for ChunkBytes {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> Result<Self::T> {
        Ok(self.slice(start, None)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> Result<Bytes> {
        self.slice(start, Some(length))
    }
}

/// A data page's value bytes and value count, when it is a byte-stream-split page of a
/// required flat column (no levels, eight bytes a value).
fn split_values(page: &Page) -> Option<(&[u8], usize)> {
    let (buf, n) = match page {
        Page::DataPageV2 {
            buf,
            num_values,
            encoding: Encoding::BYTE_STREAM_SPLIT,
            num_nulls: 0,
            num_rows,
            def_levels_byte_len: 0,
            rep_levels_byte_len: 0,
            ..
        } if num_rows == num_values => (buf, *num_values as usize),
        Page::DataPage {
            buf,
            num_values,
            encoding: Encoding::BYTE_STREAM_SPLIT,
            ..
        } => (buf, *num_values as usize),
        _ => return None,
    };
    (buf.len() == n * 8).then_some((&buf[..], n))
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
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::{Float64Type, Int64Type};
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use proptest::prelude::*;

    /// A page's streams for `values`, as a writer lays them out.
    fn split(values: &[f64]) -> Vec<u8> {
        (0..8)
            .flat_map(|j| values.iter().map(move |v| v.to_le_bytes()[j]))
            .collect()
    }

    #[test]
    fn a_fetched_chunk_answers_at_file_offsets_and_refuses_others() {
        let chunk = ChunkBytes {
            start: 100,
            bytes: Bytes::from_static(b"abcdef"),
        };
        assert_eq!(chunk.len(), 106);
        assert_eq!(chunk.get_bytes(101, 3).unwrap(), Bytes::from_static(b"bcd"));
        assert_eq!(chunk.get_bytes(106, 0).unwrap(), Bytes::new());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut chunk.get_read(102).unwrap(), &mut rest).unwrap();
        assert_eq!(rest, "cdef");
        for (start, length) in [(99, 1), (104, 3), (107, 0)] {
            assert!(chunk.get_bytes(start, length).is_err(), "{start}+{length}");
        }
        assert!(chunk.get_read(99).is_err());
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

        #[test]
        fn selections_split_into_the_runs_of_each_group(
            group_rows in proptest::collection::vec(1usize..40, 1..5),
            picks in proptest::collection::vec(any::<bool>(), 0..200),
        ) {
            let total: usize = group_rows.iter().sum();
            let chosen: Vec<bool> = (0..total).map(|i| picks.get(i).copied().unwrap_or(false)).collect();
            let mut selectors: Vec<RowSelector> = Vec::new();
            for &c in &chosen {
                match selectors.last_mut() {
                    Some(s) if s.skip != c => s.row_count += 1,
                    _ => selectors.push(if c { RowSelector::select(1) } else { RowSelector::skip(1) }),
                }
            }
            let runs = runs_by_group(&group_rows, &selectors);
            let mut start = 0;
            for (rows, runs) in group_rows.iter().zip(&runs) {
                let mut marked = vec![false; *rows];
                for r in runs {
                    prop_assert!(r.start < r.end && r.end <= *rows);
                    marked[r.clone()].iter_mut().for_each(|m| *m = true);
                }
                prop_assert_eq!(&marked[..], &chosen[start..start + rows]);
                start += rows;
            }
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
            let leaf = |c| split_float_leaf(metadata.metadata(), &groups, c);
            assert_eq!([leaf(0), leaf(1), leaf(2), leaf(3)], [None, Some(1), None, None]);
            let selectors = [
                RowSelector::skip(5),
                RowSelector::select(290),
                RowSelector::skip(5),
            ];
            let values = read_split_floats(&handle, metadata.metadata(), &groups, &selectors, 1)
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
