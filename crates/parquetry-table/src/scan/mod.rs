//! Row-range scans: the rows a directory points at, read from a data file as Arrow record
//! batches, with only the projected columns decoded and every page that holds none of
//! the rows skipped (through the page index and the storage's footer cache).

mod delta_ints;
mod flat_pages;
pub mod page_cache;
pub(crate) mod pages;
mod split_floats;

use crate::error::{Result, StoreError, arrow_err, pq_err};
use crate::storage::{FileReader, GroupPageOffsets, Storage};
use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector};
use parquet::file::metadata::ParquetMetaDataBuilder;
use std::ops::Range;
use std::sync::Arc;

/// Rows per record batch of a scan.
pub const SCAN_BATCH_ROWS: usize = 64 * 1024;

/// Reads rows `ranges` (ascending, not overlapping) of the data file `rel`, keeping the
/// top-level columns `projection` (in file order), as record batches whose rows are those
/// of the ranges, one after another.
///
/// Fails with [`StoreError::Corrupt`] when a range is out of order or past the end of
/// the file, or when the file yields another number of rows than the ranges ask for.
pub fn read_row_ranges(
    storage: &Storage,
    rel: &str,
    ranges: &[Range<u64>],
    projection: &[usize],
) -> Result<Vec<RecordBatch>> {
    read_rows_in_batches(storage, rel, ranges, projection, &[], SCAN_BATCH_ROWS)
}

/// [`read_row_ranges`] as one record batch (none when the ranges are empty), so that a
/// caller can slice the rows of each range out of its columns without copying them.
pub fn read_row_ranges_whole(
    storage: &Storage,
    rel: &str,
    ranges: &[Range<u64>],
    projection: &[usize],
) -> Result<Vec<RecordBatch>> {
    let needed: u64 = ranges.iter().map(|r| r.end.saturating_sub(r.start)).sum();
    let rows = usize::try_from(needed).unwrap_or(usize::MAX).max(1);
    read_rows_in_batches(storage, rel, ranges, projection, &[], rows)
}

/// [`read_row_ranges`], with the text columns among `dictionaries` (top-level places in
/// the file) read as `Dictionary(Int32, Utf8)`: the file's dictionary pages become the
/// arrays' dictionaries and no value is copied per row, so that a test of each distinct
/// value stands for every row holding it.
pub fn read_row_ranges_keeping_dictionaries(
    storage: &Storage,
    rel: &str,
    ranges: &[Range<u64>],
    projection: &[usize],
    dictionaries: &[usize],
) -> Result<Vec<RecordBatch>> {
    read_rows_in_batches(storage, rel, ranges, projection, dictionaries, SCAN_BATCH_ROWS)
}

/// The scan behind the public readers, with `batch_rows` rows per record batch.
fn read_rows_in_batches(
    storage: &Storage,
    rel: &str,
    ranges: &[Range<u64>],
    projection: &[usize],
    dictionaries: &[usize],
    batch_rows: usize,
) -> Result<Vec<RecordBatch>> {
    let path = storage.path(rel);
    let handle = storage.open_file(rel)?;
    let metadata = storage.parquet_metadata(rel, &handle)?;
    let total_rows = metadata.metadata().file_metadata().num_rows() as u64;
    let mut row = 0u64;
    for r in ranges {
        if r.start < row || r.end < r.start || r.end > total_rows {
            return Err(StoreError::Corrupt {
                path,
                reason: format!(
                    "rows {}..{} out of order or past the end ({total_rows} rows)",
                    r.start, r.end
                ),
            });
        }
        row = r.end;
    }
    let needed: usize = ranges.iter().map(|r| (r.end - r.start) as usize).sum();
    let group_rows: Vec<u64> = metadata
        .metadata()
        .row_groups()
        .iter()
        .map(|g| g.num_rows() as u64)
        .collect();
    let (groups, selectors) = selection_in_groups(&group_rows, ranges);
    // Skipping pages inside a row group takes the offset index, kept per group by the
    // storage; whole groups need none, unless their pages are to be found in the page
    // cache, which knows them by their offsets.
    let partial = selectors.iter().any(|s| s.skip && s.row_count > 0);
    let by_page = partial || page_cache::current().is_some();
    let (metadata, groups) = if by_page && metadata.metadata().offset_index().is_none() {
        match storage.page_offsets(rel, &handle, metadata.metadata(), &groups)? {
            Some(offsets) => {
                let subset = groups_with_page_offsets(&metadata, &groups, &offsets).map_err(pq_err(&path))?;
                (subset, (0..groups.len()).collect())
            }
            None => (metadata, groups),
        }
    } else {
        (metadata, groups)
    };
    // A read that ends in one batch decodes its byte-stream-split float and
    // delta-binary-packed integer columns from their pages itself (see `flat_pages`), and
    // the rest through the Arrow reader.
    let flat = if batch_rows >= needed && needed > 0 {
        read_flat_columns(&handle, &path, &metadata, &groups, &selectors, projection)?
    } else {
        Vec::new()
    };
    let rest: Vec<usize> = projection
        .iter()
        .copied()
        .filter(|c| !flat.iter().any(|(f, _)| f == c))
        .collect();
    let batches = if rest.is_empty() {
        Vec::new()
    } else {
        let mask = ProjectionMask::roots(metadata.metadata().file_metadata().schema_descr(), rest);
        let metadata = with_dictionaries(metadata.clone(), dictionaries).map_err(pq_err(&path))?;
        let selection = Some(RowSelection::from(selectors));
        let reader = pages::record_batches(handle, &metadata, mask, Some(groups), selection, batch_rows)
            .map_err(pq_err(&path))?;
        reader.collect::<Result<Vec<_>, _>>().map_err(arrow_err(&path))?
    };
    let batches = if flat.is_empty() {
        batches
    } else {
        vec![with_flat_columns(&metadata, projection, batches, flat, needed).map_err(arrow_err(&path))?]
    };
    let read: usize = batches.iter().map(RecordBatch::num_rows).sum();
    if read != needed {
        return Err(StoreError::Corrupt {
            path,
            reason: format!("expected {needed} rows, read {read}"),
        });
    }
    Ok(batches)
}

/// The columns among `projection` that [`flat_pages`] reads in full (each with its
/// values in the selected rows): `DOUBLE`s in byte-stream-split pages, and `Int64`s in
/// delta-binary-packed pages. A column with a page of another kind is left out, for the
/// Arrow reader.
fn read_flat_columns(
    handle: &FileReader,
    path: &std::path::Path,
    metadata: &ArrowReaderMetadata,
    groups: &[usize],
    selectors: &[RowSelector],
    projection: &[usize],
) -> Result<Vec<(usize, ArrayRef)>> {
    use flat_pages::read_flat_array;
    let reader = Arc::new(handle.share());
    let mut columns: Vec<(usize, ArrayRef)> = Vec::new();
    for &c in projection {
        let read = match read_flat_array::<split_floats::SplitFloats>(&reader, metadata, groups, selectors, c)
        {
            Ok(None) => read_flat_array::<delta_ints::DeltaInts>(&reader, metadata, groups, selectors, c),
            floats => floats,
        };
        columns.extend(read.map_err(pq_err(path))?.map(|array| (c, array)));
    }
    Ok(columns)
}

/// One batch of `rows` rows holding the columns of `projection` in its order: those the
/// Arrow reader read (`batches`, one after another) and those in `flat`.
fn with_flat_columns(
    metadata: &ArrowReaderMetadata,
    projection: &[usize],
    batches: Vec<RecordBatch>,
    flat: Vec<(usize, ArrayRef)>,
    rows: usize,
) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    let read = match batches.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        [first, ..] => Some(arrow::compute::concat_batches(&first.schema(), &batches)?),
    };
    let mut flat = flat.into_iter().peekable();
    let mut from_reader = 0;
    let mut fields: Vec<FieldRef> = Vec::with_capacity(projection.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(projection.len());
    for &c in projection {
        match flat.next_if(|(f, _)| *f == c) {
            Some((_, array)) => {
                fields.push(Arc::new(metadata.schema().field(c).clone()));
                columns.push(array);
            }
            None => {
                let read = read.as_ref().ok_or_else(|| {
                    arrow::error::ArrowError::ComputeError(
                        "the reader gave no rows for the other columns".into(),
                    )
                })?;
                fields.push(read.schema().field(from_reader).clone().into());
                columns.push(read.column(from_reader).clone());
                from_reader += 1;
            }
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    let schema = Schema::new_with_metadata(fields, metadata.schema().metadata().clone());
    RecordBatch::try_new_with_options(Arc::new(schema), columns, &options)
}

/// The metadata of the row groups `groups` of `metadata`'s file alone, numbered from 0 in
/// that order, with `offsets` (one entry per group) as their offset indexes.
fn groups_with_page_offsets(
    metadata: &ArrowReaderMetadata,
    groups: &[usize],
    offsets: &[GroupPageOffsets],
) -> parquet::errors::Result<ArrowReaderMetadata> {
    let file = metadata.metadata();
    let row_groups = groups.iter().map(|&g| file.row_group(g).clone()).collect();
    let subset = ParquetMetaDataBuilder::new(file.file_metadata().clone())
        .set_row_groups(row_groups)
        .set_offset_index(Some(offsets.iter().map(|o| o.as_ref().clone()).collect()))
        .build();
    ArrowReaderMetadata::try_new(Arc::new(subset), ArrowReaderOptions::new())
}

/// `metadata` reading the text columns among `dictionaries` (top-level places) as
/// `Dictionary(Int32, Utf8)`: each distinct text once and a key per row.
pub(crate) fn with_dictionaries(
    metadata: ArrowReaderMetadata,
    dictionaries: &[usize],
) -> parquet::errors::Result<ArrowReaderMetadata> {
    let schema = metadata.schema();
    let text = |i: &usize| {
        schema
            .fields()
            .get(*i)
            .is_some_and(|f| f.data_type() == &DataType::Utf8)
    };
    if !dictionaries.iter().any(text) {
        return Ok(metadata);
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let field = f.as_ref().clone();
            if dictionaries.contains(&i) && text(&i) {
                let keys = Box::new(DataType::Int32);
                field.with_data_type(DataType::Dictionary(keys, Box::new(DataType::Utf8)))
            } else {
                field
            }
        })
        .collect();
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    ArrowReaderMetadata::try_new(
        metadata.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hinted),
    )
}

/// The row groups (of the given row counts) that hold any row of `ranges` (ascending, not
/// overlapping, inside the file), and the selection of the ranges' rows over those groups'
/// rows alone, one group after another: the groups holding none are never opened, so none
/// of their pages is read, decompressed or skipped.
fn selection_in_groups(group_rows: &[u64], ranges: &[Range<u64>]) -> (Vec<usize>, Vec<RowSelector>) {
    let mut groups = Vec::new();
    let mut selectors = Vec::new();
    let mut pending = ranges.iter().cloned().peekable();
    let mut group_start = 0u64;
    for (g, &rows) in group_rows.iter().enumerate() {
        let group_end = group_start + rows;
        let mut at = group_start;
        let mut chosen = false;
        while let Some(r) = pending.peek_mut() {
            if r.start >= group_end {
                break;
            }
            let end = r.end.min(group_end);
            if end > r.start {
                if r.start > at {
                    selectors.push(RowSelector::skip((r.start - at) as usize));
                }
                selectors.push(RowSelector::select((end - r.start) as usize));
                at = end;
                chosen = true;
            }
            if r.end <= group_end {
                pending.next();
            } else {
                r.start = group_end;
                break;
            }
        }
        if chosen {
            groups.push(g);
            if group_end > at {
                selectors.push(RowSelector::skip((group_end - at) as usize));
            }
        }
        group_start = group_end;
    }
    (groups, selectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::Int64Type;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use std::sync::Arc;

    fn write_file(storage: &Storage, rel: &str, rows: i64) {
        write_file_in_groups(storage, rel, rows, None);
    }

    /// `rows` rows of `n` and `name`, in row groups of at most `group_rows`.
    fn write_file_in_groups(storage: &Storage, rel: &str, rows: i64, group_rows: Option<usize>) {
        let numbers = Arc::new(Int64Array::from_iter_values(0..rows));
        let names = Arc::new(StringArray::from_iter_values((0..rows).map(|i| format!("r{i}"))));
        let batch = RecordBatch::try_from_iter([("n", numbers as _), ("name", names as _)]).unwrap();
        let staged = storage.stage(rel).unwrap();
        let props = WriterProperties::builder()
            .set_data_page_row_count_limit(10)
            .set_write_batch_size(10)
            .set_max_row_group_row_count(group_rows)
            .build();
        let file = std::fs::File::create(staged.path()).unwrap();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        storage.publish(staged).unwrap();
    }

    /// The values of the first (integer) column of `batches`, one batch after another.
    fn first_column_numbers(batches: &[RecordBatch]) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }

    #[test]
    fn reads_exactly_the_ranges_and_projected_columns() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file(&storage, "d/f.parquet", 100);
        let batches = read_row_ranges(&storage, "d/f.parquet", &[3..5, 40..41, 99..100], &[0]).unwrap();
        assert!(batches.iter().all(|b| b.num_columns() == 1));
        assert_eq!(first_column_numbers(&batches), [3, 4, 40, 99]);
    }

    #[test]
    fn a_whole_read_is_one_batch_across_row_groups_with_the_same_rows() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file_in_groups(&storage, "d.parquet", 100, Some(16));
        let ranges = [3..5, 14..40, 99..100];
        let whole = read_row_ranges_whole(&storage, "d.parquet", &ranges, &[0]).unwrap();
        assert_eq!(whole.len(), 1, "rows from three row groups in one batch");
        let batched = read_row_ranges(&storage, "d.parquet", &ranges, &[0]).unwrap();
        assert_eq!(first_column_numbers(&whole), first_column_numbers(&batched));
        assert!(
            read_row_ranges_whole(&storage, "d.parquet", &[], &[0])
                .unwrap()
                .iter()
                .all(|b| b.num_rows() == 0)
        );
    }

    #[test]
    fn page_offsets_are_read_once_per_group_and_match_the_whole_index() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file_in_groups(&storage, "d.parquet", 100, Some(16));
        let handle = storage.open_file("d.parquet").unwrap();
        let footer = storage.parquet_metadata("d.parquet", &handle).unwrap();
        let footer = footer.metadata();
        assert!(
            footer.offset_index().is_none(),
            "the cached footer leaves the index out"
        );
        let first = storage
            .page_offsets("d.parquet", &handle, footer, &[4, 1])
            .unwrap()
            .unwrap();
        let again = storage
            .page_offsets("d.parquet", &handle, footer, &[0, 1, 4])
            .unwrap()
            .unwrap();
        assert!(Arc::ptr_eq(&first[0], &again[2]) && Arc::ptr_eq(&first[1], &again[1]));
        let whole = parquet::file::metadata::ParquetMetaDataReader::new()
            .with_offset_index_policy(parquet::file::metadata::PageIndexPolicy::Required)
            .parse_and_finish(&std::fs::File::open(dir.path().join("d.parquet")).unwrap())
            .unwrap();
        let whole = whole.offset_index().unwrap();
        for (got, g) in again.iter().zip([0, 1, 4]) {
            assert_eq!(got.as_ref(), &whole[g]);
            assert!(
                got[0].page_locations().len() > 1,
                "pages of 10 rows in groups of 16"
            );
        }
        // A read that skips pages inside groups gives the same rows through the cache.
        let got = read_row_ranges(&storage, "d.parquet", &[3..5, 70..72], &[0]).unwrap();
        assert_eq!(first_column_numbers(&got), [3, 4, 70, 71]);
    }

    #[test]
    fn text_columns_read_as_dictionaries_hold_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file_in_groups(&storage, "d.parquet", 100, Some(16));
        let ranges = [3..5, 40..60, 99..100];
        let plain = read_row_ranges(&storage, "d.parquet", &ranges, &[0, 1]).unwrap();
        let kept =
            read_row_ranges_keeping_dictionaries(&storage, "d.parquet", &ranges, &[0, 1], &[0, 1]).unwrap();
        let texts = |batches: &[RecordBatch]| -> Vec<String> {
            batches
                .iter()
                .flat_map(|b| {
                    let names = arrow::compute::cast(b.column(1), &DataType::Utf8).unwrap();
                    names
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.unwrap().to_string())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        assert!(matches!(kept[0].column(1).data_type(), DataType::Dictionary(..)));
        assert_eq!(
            kept[0].column(0).data_type(),
            &DataType::Int64,
            "only text columns"
        );
        assert_eq!(texts(&kept), texts(&plain));
        assert_eq!(texts(&kept)[2], "r40");
    }

    #[test]
    fn only_the_row_groups_holding_rows_are_selected() {
        let (groups, selectors) = selection_in_groups(&[10, 10, 10, 10], &[2..4, 12..25, 39..40]);
        assert_eq!(groups, [0, 1, 2, 3]);
        let rows: usize = selectors.iter().map(|s| s.row_count).sum();
        assert_eq!(rows, 40);
        let (groups, selectors) = selection_in_groups(&[10, 10, 10, 10], &[21..23, 23..23]);
        assert_eq!(groups, [2]);
        assert_eq!(
            selectors,
            [RowSelector::skip(1), RowSelector::select(2), RowSelector::skip(7)]
        );
        let (groups, selectors) = selection_in_groups(&[10, 10], &[]);
        assert!(groups.is_empty() && selectors.is_empty());
    }

    #[test]
    fn ranges_across_row_groups_read_their_rows() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file_in_groups(&storage, "g.parquet", 100, Some(16));
        let batches =
            read_row_ranges(&storage, "g.parquet", &[15..17, 50..51, 64..80, 99..100], &[0]).unwrap();
        let got: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        let want: Vec<i64> = [15..17, 50..51, 64..80, 99..100].into_iter().flatten().collect();
        assert_eq!(got, want);
    }

    #[test]
    fn ranges_past_the_end_or_out_of_order_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        write_file(&storage, "f.parquet", 10);
        let past_the_end: Vec<Range<u64>> = std::iter::once(5..11).collect();
        for ranges in [past_the_end, vec![5..6, 2..3]] {
            let err = read_row_ranges(&storage, "f.parquet", &ranges, &[0]).unwrap_err();
            assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        }
    }
}
