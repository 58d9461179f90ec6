//! Flat columns read a page at a time, in the encodings the scan decodes itself.
//!
//! parquet-rs's Arrow reader decodes a page value by value through generic code, and
//! fills every output buffer with zeros before it decodes into it. A required,
//! top-level column whose every data page is in an encoding a [`PageDecoder`] knows is
//! read here instead: each page's selected rows are decoded straight onto the end of the
//! column's values, which are never zeroed first. Pages are still found and read by
//! parquet-rs, and decompressed by [`super::pages`]: the pages with selected rows one by
//! one where the offset index is loaded, otherwise the whole column chunk fetched in one
//! piece. The scan reads every other column through the Arrow reader, as it does one of
//! these when a page turns out to be of another kind.

use super::super::storage::FileReader;
use super::pages::chunk_pages;
use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use bytes::{Buf, Bytes};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, RowSelector};
use parquet::basic::{Encoding, Type as PhysicalType};
use parquet::column::page::{Page, PageReader};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::page_index::offset_index::PageLocation;
use parquet::file::reader::{ChunkReader, Length};
use std::ops::Range;
use std::sync::Arc;

/// The values of the data pages of one physical type in one encoding, decoded.
pub(super) trait PageDecoder {
    /// The values as Rust holds them.
    type Value;
    /// The Arrow array the values make.
    type Array: Array + From<Vec<Self::Value>> + 'static;
    /// The Arrow type of the columns it reads, as a file's Arrow schema gives it.
    const DATA_TYPE: DataType;
    /// The physical type of the columns it reads.
    const PHYSICAL: PhysicalType;
    /// The encoding of the data pages it reads.
    const ENCODING: Encoding;

    /// Appends to `out` the values in `runs` (ascending ranges within `0..n`, neither
    /// empty nor meeting one another) of a page of `n` values whose encoded bytes are
    /// `bytes`. `false` when the bytes are not such a page; `out` may then have grown,
    /// and the caller drops it.
    fn append(bytes: &[u8], n: usize, runs: &[Range<usize>], out: &mut Vec<Self::Value>) -> bool;
}

/// Top-level column `column` of `metadata`'s file in the rows `selectors` choose over row
/// groups `groups`, as an array, when `D` reads it: its leaf is one [`flat_leaf`] accepts
/// for `D`, the file's Arrow schema types it as `D::DATA_TYPE`, and every page read turns
/// out to be one `D` reads. `None` otherwise, for the caller to read it another way.
/// Fails as [`read_flat`] does.
pub(super) fn read_flat_array<D: PageDecoder>(
    reader: &Arc<FileReader>,
    metadata: &ArrowReaderMetadata,
    groups: &[usize],
    selectors: &[RowSelector],
    column: usize,
) -> Result<Option<ArrayRef>> {
    let file = metadata.metadata();
    let Some(leaf) = flat_leaf::<D>(file, groups, column) else {
        return Ok(None);
    };
    if metadata.schema().field(column).data_type() != &D::DATA_TYPE {
        return Ok(None);
    }
    let values = read_flat::<D>(reader, file, groups, selectors, leaf)?;
    Ok(values.map(|values| Arc::new(D::Array::from(values)) as ArrayRef))
}

/// The leaf of top-level column `column` when decoder `D` can read it in row groups
/// `groups` of `metadata`'s file: a required column of `D`'s physical type that is a leaf
/// itself, with only `D`'s encoding for its data in those groups (levels aside) and no
/// dictionary page.
pub(super) fn flat_leaf<D: PageDecoder>(
    metadata: &ParquetMetaData,
    groups: &[usize],
    column: usize,
) -> Option<usize> {
    let schema = metadata.file_metadata().schema_descr();
    let mut leaves = (0..schema.num_columns()).filter(|&l| schema.get_column_root_idx(l) == column);
    let leaf = leaves.next()?;
    let descr = schema.column(leaf);
    let plain_leaf = leaves.next().is_none() && descr.path().parts().len() == 1;
    if !plain_leaf
        || descr.physical_type() != D::PHYSICAL
        || descr.max_def_level() != 0
        || descr.max_rep_level() != 0
    {
        return None;
    }
    let only_ours = groups.iter().all(|&g| {
        let chunk = metadata.row_group(g).column(leaf);
        let encodings: Vec<Encoding> = chunk.encodings().collect();
        chunk.dictionary_page_offset().is_none()
            && encodings.contains(&D::ENCODING)
            && encodings.iter().all(|&e| e == D::ENCODING || e == Encoding::RLE)
    });
    only_ours.then_some(leaf)
}

/// The values of leaf `leaf` (one [`flat_leaf`] accepted for `D`) in the rows `selectors`
/// choose over row groups `groups` of `metadata`'s file, one group's rows after another
/// (as the Arrow reader takes a selection). Pages holding none of the rows are skipped
/// unread where the file's offset index is in `metadata`.
///
/// `None` when a page is not one `D` reads after all; the caller then reads the column
/// another way. Fails when the file cannot be read, or holds fewer rows than the
/// selection.
pub(super) fn read_flat<D: PageDecoder>(
    reader: &Arc<FileReader>,
    metadata: &ParquetMetaData,
    groups: &[usize],
    selectors: &[RowSelector],
    leaf: usize,
) -> Result<Option<Vec<D::Value>>> {
    let wanted: usize = selectors.iter().filter(|s| !s.skip).map(|s| s.row_count).sum();
    let mut out = Vec::with_capacity(wanted);
    // The file as the page cache knows it, made once for every chunk.
    let file = reader.page_file();
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
                let file = Some(file.clone());
                let pages = chunk_pages(reader.clone(), chunk, *rows, Some(locations.clone()), file)?;
                read_group::<D>(pages, Some(locations), *rows, &runs, &mut out)?
            }
            // Without page offsets every page is read: the chunk is fetched in one piece
            // (one request to an object store, not two per page).
            None => {
                let (start, length) = chunk.byte_range();
                let bytes = reader.get_bytes(start, usize::try_from(length).unwrap_or(usize::MAX))?;
                let fetched = Arc::new(ChunkBytes { start, bytes });
                let pages = chunk_pages(fetched, chunk, *rows, None, None)?;
                read_group::<D>(pages, None, *rows, &runs, &mut out)?
            }
        };
        if !read {
            return Ok(None);
        }
    }
    if out.len() != wanted {
        return Err(ParquetError::General(format!(
            "expected {wanted} values of a column, read {}",
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
/// is not one `D` reads.
fn read_group<D: PageDecoder>(
    mut pages: Box<dyn PageReader>,
    locations: Option<&[PageLocation]>,
    rows: usize,
    runs: &[Range<usize>],
    out: &mut Vec<D::Value>,
) -> Result<bool> {
    let mut page_start = 0;
    let mut page_number = 0;
    let mut next_run = 0;
    // The runs of the page at hand, numbered from its first row.
    let mut in_page: Vec<Range<usize>> = Vec::new();
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
        let Some((bytes, n)) = flat_values(&page, D::ENCODING) else {
            return Ok(false);
        };
        let page_end = page_start + n;
        in_page.clear();
        while let Some(run) = runs.get(next_run) {
            let from = run.start.max(page_start);
            let to = run.end.min(page_end);
            if from < to {
                // Runs that meet (the rows of series stored one after another) are one.
                let run = from - page_start..to - page_start;
                match in_page.last_mut() {
                    Some(last) if last.end == run.start => last.end = run.end,
                    _ => in_page.push(run),
                }
            }
            if run.end > page_end {
                break;
            }
            next_run += 1;
        }
        if !in_page.is_empty() && !D::append(bytes, n, &in_page, out) {
            return Ok(false);
        }
        page_start = page_end;
    }
    Ok(true)
}

/// A data page's value bytes and value count, when it is a page of a required flat
/// column (no levels) in `encoding`.
fn flat_values(page: &Page, encoding: Encoding) -> Option<(&[u8], usize)> {
    match page {
        Page::DataPageV2 {
            buf,
            num_values,
            encoding: e,
            num_nulls: 0,
            num_rows,
            def_levels_byte_len: 0,
            rep_levels_byte_len: 0,
            ..
        } if num_rows == num_values && *e == encoding => Some((&buf[..], *num_values as usize)),
        Page::DataPage {
            buf,
            num_values,
            encoding: e,
            ..
        } if *e == encoding => Some((&buf[..], *num_values as usize)),
        _ => None,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
}
