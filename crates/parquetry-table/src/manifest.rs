//! The manifest: which data files make up one version of a store, table by table.
//!
//! A store version is a list of *segments*. A segment is what one write added to one
//! typed table (metrics, logs or spans): its data files, split by
//! UTC day, plus the two small files that say what is in them — a catalog (the series or
//! streams the segment holds) and a directory (where each one's rows are in each data
//! file). Segments are never changed: a commit adds segments and may remove others
//! (compaction replaces many by few, retention drops old ones).
//!
//! The order of segments matters: when two segments hold a sample for the same series and
//! time, the later one wins.

use parquetry_model::MetricMetadata;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The layout version this code writes.
pub const FORMAT_VERSION: u32 = 2;

/// The typed tables of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableKind {
    /// Metric samples; the catalog is the series table.
    Metrics,
    /// Log entries; the catalog is the streams table.
    Logs,
    /// Spans; the catalog is the table of the resources' label sets.
    Spans,
}

impl TableKind {
    /// Every table kind, in a fixed order.
    pub const ALL: [TableKind; 3] = [TableKind::Metrics, TableKind::Logs, TableKind::Spans];

    /// The name used in paths and messages.
    pub fn name(self) -> &'static str {
        match self {
            TableKind::Metrics => "metrics",
            TableKind::Logs => "logs",
            TableKind::Spans => "spans",
        }
    }

    /// The folders of the table's segment files, relative to the store root.
    pub fn folders(self) -> TableFolders {
        match self {
            TableKind::Metrics => TableFolders {
                data: "samples",
                catalog: "series",
                directory: "directory",
            },
            TableKind::Logs => TableFolders {
                data: "log_entries",
                catalog: "log_streams",
                directory: "log_directory",
            },
            TableKind::Spans => TableFolders {
                data: "spans",
                catalog: "span_resources",
                directory: "span_directory",
            },
        }
    }
}

/// Where one table's segment files live (merged catalogs live in `catalog/<table>/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableFolders {
    /// Data files, under `day=YYYY-MM-DD/` sub-folders.
    pub data: &'static str,
    /// Per-segment catalog tables.
    pub catalog: &'static str,
    /// Per-segment directory tables.
    pub directory: &'static str,
}

impl TableFolders {
    /// The three folders.
    pub fn all(self) -> [&'static str; 3] {
        [self.data, self.catalog, self.directory]
    }
}

/// One store version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version of the files named here.
    pub format: u32,
    /// Number of this version; each commit adds one.
    pub version: u64,
    /// The segments of every table, oldest first.
    pub segments: Vec<Segment>,
}

/// What one write added to one table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    /// Unique id; data file names start with it.
    pub id: String,
    /// The table the segment belongs to.
    pub table: TableKind,
    /// Wall-clock time of the commit that added it, milliseconds since the epoch.
    pub committed_at: i64,
    /// The catalog file (series or streams of the segment), relative to the root.
    pub catalog_file: String,
    /// The directory file (rows of each series in each data file), relative to the root.
    pub directory_file: String,
    /// The data files, in the order the directory's file indexes refer to.
    pub data_files: Vec<DataFile>,
    /// Number of series (or streams) with rows in the segment.
    pub entities: u64,
    /// Number of rows (samples, entries) in the segment.
    pub rows: u64,
    /// Metric families' type, help and unit that the write declared and the version
    /// before it did not hold (metrics only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metadata: Vec<MetricMetadata>,
}

/// One data file of a segment: the rows of one UTC day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the store root.
    pub path: String,
    /// Start of the UTC day the file belongs to, in milliseconds.
    pub partition_start: i64,
    /// Earliest time in the file, milliseconds.
    pub min_time: i64,
    /// Latest time in the file, milliseconds.
    pub max_time: i64,
    /// Number of rows.
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
}

impl Segment {
    /// Every file the segment names: catalog, directory and data files.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        [self.catalog_file.as_str(), self.directory_file.as_str()]
            .into_iter()
            .chain(self.data_files.iter().map(|f| f.path.as_str()))
    }

    /// The UTC days (partition starts) the segment has data files for.
    pub fn days(&self) -> impl Iterator<Item = i64> + '_ {
        self.data_files.iter().map(|f| f.partition_start)
    }
}

/// The change one commit makes: segments added and segments removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What produced the commit (`ingest`, `compact`, `retain`, `upgrade`, …).
    pub operation: String,
    /// Segments added. With removals, they take the place of the first removed segment
    /// (so a compaction keeps its data older than what was committed after it);
    /// otherwise they go last.
    pub add: Vec<Segment>,
    /// Ids of segments removed.
    pub remove: Vec<String>,
}

impl Manifest {
    /// The manifest of a new, empty store.
    pub fn empty() -> Manifest {
        Manifest {
            format: FORMAT_VERSION,
            version: 0,
            segments: Vec::new(),
        }
    }

    /// The segments of one table, oldest first.
    pub fn segments_of(&self, table: TableKind) -> impl DoubleEndedIterator<Item = &Segment> {
        self.segments.iter().filter(move |s| s.table == table)
    }

    /// Rows of one table in this version.
    pub fn rows(&self, table: TableKind) -> u64 {
        self.segments_of(table).map(|s| s.rows).sum()
    }

    /// Bytes of data files of one table in this version.
    pub fn data_bytes(&self, table: TableKind) -> u64 {
        self.segments_of(table)
            .flat_map(|s| &s.data_files)
            .map(|f| f.bytes)
            .sum()
    }

    /// Every distinct metric family declaration of the metrics table, newest segment
    /// first (within a segment, in the order the write declared them).
    pub fn metric_metadata(&self) -> Vec<MetricMetadata> {
        let mut seen = std::collections::HashSet::new();
        self.segments_of(TableKind::Metrics)
            .rev()
            .flat_map(|s| &s.metadata)
            .filter(|m| seen.insert(*m))
            .cloned()
            .collect()
    }

    /// Number of rows per table.
    pub fn rows_by_table(&self) -> BTreeMap<TableKind, u64> {
        let mut out = BTreeMap::new();
        for s in &self.segments {
            *out.entry(s.table).or_default() += s.rows;
        }
        out
    }

    /// The segment ids of `change.remove` that this version does not have.
    pub fn missing<'a>(&self, change: &'a Change) -> Vec<&'a str> {
        change
            .remove
            .iter()
            .filter(|id| !self.segments.iter().any(|s| &s.id == *id))
            .map(String::as_str)
            .collect()
    }

    /// The next version: this one with `change` applied (segments are moved, not
    /// copied, so replaying records costs what they change). Removed ids this version
    /// does not have are ignored (callers check [`Manifest::missing`] first).
    pub fn apply(self, change: &Change) -> Manifest {
        let removed = |s: &Segment| change.remove.contains(&s.id);
        let at = self.segments.iter().position(removed);
        let mut segments: Vec<Segment> = Vec::with_capacity(self.segments.len() + change.add.len());
        for (i, s) in self.segments.into_iter().enumerate() {
            if Some(i) == at {
                segments.extend(change.add.iter().cloned());
            }
            if !removed(&s) {
                segments.push(s);
            }
        }
        if at.is_none() {
            segments.extend(change.add.iter().cloned());
        }
        Manifest {
            format: FORMAT_VERSION,
            version: self.version + 1,
            segments,
        }
    }
}

#[cfg(test)]
pub(crate) fn test_segment(id: &str, days: &[i64]) -> Segment {
    Segment {
        id: id.to_string(),
        table: TableKind::Metrics,
        committed_at: 0,
        catalog_file: format!("series/{id}.parquet"),
        directory_file: format!("directory/{id}.parquet"),
        data_files: days
            .iter()
            .enumerate()
            .map(|(k, &d)| DataFile {
                path: format!("samples/{id}-{k}.parquet"),
                partition_start: d,
                min_time: d,
                max_time: d + 1,
                rows: 2,
                bytes: 10,
            })
            .collect(),
        entities: 1,
        rows: 2 * days.len() as u64,
        metadata: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(m: &Manifest) -> Vec<&str> {
        m.segments.iter().map(|s| s.id.as_str()).collect()
    }

    #[test]
    fn additions_go_last_and_replacements_take_the_first_removed_place() {
        let m = Manifest::empty();
        let add = |ids: &[&str]| Change {
            operation: "ingest".into(),
            add: ids.iter().map(|id| test_segment(id, &[0])).collect(),
            remove: vec![],
        };
        let m = m.apply(&add(&["a", "b"])).apply(&add(&["c"]));
        assert_eq!(ids(&m), ["a", "b", "c"]);
        assert_eq!(m.version, 2);
        let compact = Change {
            operation: "compact".into(),
            add: vec![test_segment("ab", &[0])],
            remove: vec!["b".into(), "a".into()],
        };
        assert!(m.missing(&compact).is_empty());
        let m = m.apply(&compact);
        assert_eq!(ids(&m), ["ab", "c"]);
        assert_eq!(m.missing(&compact), ["b", "a"]);
        assert_eq!(m.rows(TableKind::Metrics), 4);
    }
}
