//! The catalog table: one row per series or stream, its id, name, labels and time range.

use super::{NameColumn, array_as, catalog_schema, column, read_columns, write_table};
use crate::catalog::CatalogEntry;
use crate::error::{Result, StoreError, arrow_err};
use crate::storage::Storage;
use arrow::array::{
    ArrayRef, AsArray, Int32DictionaryArray, Int64Array, MapArray, MapBuilder, StringArray, StringBuilder,
    UInt64Array,
};
use arrow::datatypes::{DataType, Field};
use arrow::record_batch::RecordBatch;
use parquetry_model::{Labels, METRIC_NAME, SeriesId};
use std::sync::Arc;

/// Writes a catalog table (rows in any order) as `rel` and publishes it.
pub fn write_catalog_table(storage: &Storage, rel: &str, rows: &[CatalogEntry]) -> Result<()> {
    let path = &storage.path(rel);
    let mut labels = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new())
        .with_values_field(Arc::new(Field::new("values", DataType::Utf8, false)));
    let mut metrics = Vec::with_capacity(rows.len());
    for row in rows {
        metrics.push(row.labels.metric_name().unwrap_or("").to_string());
        for l in row.labels.iter().filter(|l| l.name != METRIC_NAME) {
            labels.keys().append_value(&l.name);
            labels.values().append_value(&l.value);
        }
        labels.append(true).map_err(arrow_err(path))?;
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.id.0))),
        Arc::new(StringArray::from(metrics)),
        Arc::new(labels.finish()),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.min_time))),
        Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.max_time))),
    ];
    let batch = RecordBatch::try_new(catalog_schema(), columns).map_err(arrow_err(path))?;
    write_table(storage, rel, batch)
}

/// One row of a catalog table without its labels: what opening a store reads.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogHead {
    /// Stable id of the label set.
    pub id: SeriesId,
    /// Value of `__name__`, or `""`; equal names share one allocation.
    pub name: Arc<str>,
    /// Time of the first row.
    pub min_time: i64,
    /// Time of the last row.
    pub max_time: i64,
}

/// Reads every row of the catalog table `rel` without its labels (the `labels` column is
/// not decoded).
pub fn read_catalog_heads(storage: &Storage, rel: &str) -> Result<Vec<CatalogHead>> {
    let path = &storage.path(rel);
    let (rows, batches) = read_columns(storage, rel, &[0, 1, 3, 4], None, NameColumn::Dictionary)?;
    // Sized once: a store of 30,000 series would otherwise copy its heads as it grows.
    let mut out: Vec<CatalogHead> = Vec::with_capacity(rows);
    let mut last: Arc<str> = Arc::from("");
    for batch in batches {
        let batch = batch?;
        let ids = column::<UInt64Array>(&batch, 0, path)?;
        let metrics = column::<Int32DictionaryArray>(&batch, 1, path)?;
        let (keys, names) = (
            metrics.keys(),
            array_as::<StringArray>(metrics.values(), "the name column's dictionary", path)?,
        );
        let mins = column::<Int64Array>(&batch, 2, path)?;
        let maxs = column::<Int64Array>(&batch, 3, path)?;
        // Tables are written in name order, so a name's rows follow one another: its text
        // is looked at only when the key changes, and shared with the rows before when it
        // is theirs too.
        let mut last_key = None;
        for i in 0..batch.num_rows() {
            let key = keys.value(i);
            if last_key != Some(key) {
                last_key = Some(key);
                let metric = names.value(key as usize);
                if *last != *metric {
                    last = Arc::from(metric);
                }
            }
            out.push(CatalogHead {
                id: SeriesId(ids.value(i)),
                name: last.clone(),
                min_time: mins.value(i),
                max_time: maxs.value(i),
            });
        }
    }
    Ok(out)
}

/// The ids and label sets of rows `rows` (ascending row numbers) of the catalog table
/// `rel`, in that order. Only the pages holding those rows are decoded. Fails with
/// `Corrupt` if a stored id does not match its labels, or a row is past the table's end.
pub fn read_catalog_labels(storage: &Storage, rel: &str, rows: &[u32]) -> Result<Vec<(SeriesId, Labels)>> {
    let path = &storage.path(rel);
    let (count, batches) = read_columns(storage, rel, &[0, 1, 2], Some(rows), NameColumn::Strings)?;
    let mut out = Vec::with_capacity(count);
    for batch in batches {
        let batch = batch?;
        let ids = column::<UInt64Array>(&batch, 0, path)?;
        let metrics = column::<StringArray>(&batch, 1, path)?;
        let maps = column::<MapArray>(&batch, 2, path)?;
        let keys = maps.keys().as_string::<i32>();
        let values = maps.values().as_string::<i32>();
        for i in 0..batch.num_rows() {
            let range = maps.value_offsets()[i] as usize..maps.value_offsets()[i + 1] as usize;
            let pairs = range.map(|j| (keys.value(j), values.value(j)));
            let metric = metrics.value(i);
            let labels =
                Labels::from_pairs(pairs.chain((!metric.is_empty()).then_some((METRIC_NAME, metric))));
            let id = SeriesId(ids.value(i));
            if SeriesId::of(&labels) != id {
                return Err(StoreError::Corrupt {
                    path: path.to_path_buf(),
                    reason: format!("series id {:016x} does not match labels {labels}", id.0),
                });
            }
            out.push((id, labels));
        }
    }
    if out.len() != rows.len() {
        return Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("{} label sets asked for, {} found", rows.len(), out.len()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::runs;
    use super::*;

    #[test]
    fn catalog_table_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows: Vec<CatalogEntry> = [
            Labels::from_pairs([("__name__", "up"), ("job", "a")]),
            Labels::from_pairs([("job", "nameless"), ("x", "y\n\"z\"")]),
        ]
        .into_iter()
        .map(|l| CatalogEntry {
            id: SeriesId::of(&l),
            labels: Arc::new(l),
            min_time: -5,
            max_time: 7,
        })
        .collect();
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let heads = read_catalog_heads(&storage, "s.parquet").unwrap();
        let names: Vec<&str> = heads.iter().map(|h| &*h.name).collect();
        assert_eq!(names, ["up", ""]);
        for (head, row) in heads.iter().zip(&rows) {
            assert_eq!(
                (head.id, head.min_time, head.max_time),
                (row.id, row.min_time, row.max_time)
            );
        }
        let labels = read_catalog_labels(&storage, "s.parquet", &[0, 1]).unwrap();
        let want = |r: &CatalogEntry| (r.id, (*r.labels).clone());
        assert_eq!(labels, [want(&rows[0]), want(&rows[1])]);
        let second = read_catalog_labels(&storage, "s.parquet", &[1]).unwrap();
        assert_eq!(second, [want(&rows[1])]);
        assert!(read_catalog_labels(&storage, "s.parquet", &[2]).is_err());
    }

    #[test]
    fn heads_of_many_batches_carry_their_names_each_shared_by_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        // 20,000 label sets under three names, the middle one across both batch edges.
        let name = |i: i64| match i {
            0..1_000 => "a_first",
            1_000..19_000 => "b_middle",
            _ => "c_last",
        };
        let mut rows: Vec<CatalogEntry> = (0..20_000)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", name(i).to_string()), ("i", i.to_string())]);
                CatalogEntry {
                    id: SeriesId::of(&l),
                    labels: Arc::new(l),
                    min_time: i,
                    max_time: i + 1,
                }
            })
            .collect();
        rows.sort_by(|a, b| (a.name(), a.id).cmp(&(b.name(), b.id)));
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let heads = read_catalog_heads(&storage, "s.parquet").unwrap();
        assert_eq!(heads.len(), rows.len());
        for (head, row) in heads.iter().zip(&rows) {
            assert_eq!(
                (head.id, &*head.name, head.min_time, head.max_time),
                (row.id, row.name(), row.min_time, row.max_time)
            );
        }
        let shared = heads.windows(2).filter(|w| w[0].name == w[1].name);
        assert!(shared.clone().count() == heads.len() - 3);
        assert!(shared.clone().all(|w| Arc::ptr_eq(&w[0].name, &w[1].name)));
    }

    #[test]
    fn labels_of_scattered_rows_come_from_their_pages_only() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(dir.path());
        let rows: Vec<CatalogEntry> = (0..5000)
            .map(|i| {
                let l = Labels::from_pairs([("__name__", format!("m{}", i / 1000)), ("i", i.to_string())]);
                CatalogEntry {
                    id: SeriesId::of(&l),
                    labels: Arc::new(l),
                    min_time: i,
                    max_time: i,
                }
            })
            .collect();
        write_catalog_table(&storage, "s.parquet", &rows).unwrap();
        let wanted = [0u32, 1, 2, 999, 1000, 3071, 4999];
        let got = read_catalog_labels(&storage, "s.parquet", &wanted).unwrap();
        let want: Vec<(SeriesId, Labels)> = wanted
            .iter()
            .map(|&r| (rows[r as usize].id, (*rows[r as usize].labels).clone()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            runs(&wanted).collect::<Vec<_>>(),
            [0..3, 999..1001, 3071..3072, 4999..5000]
        );
    }
}
