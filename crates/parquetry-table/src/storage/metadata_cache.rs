//! Parquet metadata kept in memory per [`Storage`]: each data file's footer, and the
//! offset index (where each page starts) of each row group a read has skipped pages in.
//! Data files never change once written, so nothing cached here is ever stale.

use super::{FileReader, Storage};
use crate::error::{Result, StoreError};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::file::metadata::{
    PageIndexPolicy, ParquetMetaData, ParquetMetaDataBuilder, ParquetMetaDataReader, ParquetStatisticsPolicy,
};
use parquet::file::page_index::offset_index::OffsetIndexMetaData;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Footers kept; beyond this many files, the footer cache starts over.
const FOOTER_CACHE_FILES: usize = 4096;

/// Row groups whose offset indexes are kept; beyond this many, that cache starts over.
const PAGE_OFFSET_CACHE_GROUPS: usize = 16 * 1024;

/// The offset indexes of one row group: one per column chunk, in column order.
pub type GroupPageOffsets = Arc<Vec<OffsetIndexMetaData>>;

/// Offset indexes by file, then by row group, with the number of groups held.
#[derive(Default)]
struct PageOffsetCache {
    files: HashMap<String, HashMap<usize, GroupPageOffsets>>,
    groups: usize,
}

/// The caches one [`Storage`] and its clones share.
#[derive(Default)]
pub(super) struct MetadataCache {
    footers: Mutex<HashMap<String, ArrowReaderMetadata>>,
    page_offsets: Mutex<PageOffsetCache>,
}

impl Storage {
    /// The Parquet metadata of the data file `rel`, from the cache or read through
    /// `reader` (which must be that file's): the footer with its column chunk statistics.
    /// The page index (where pages start, and their min/max), the size statistics and
    /// the encoding statistics are not decoded: in a file of many row groups they cost
    /// most of the time a cold lookup takes, and a read that skips pages takes the offset
    /// indexes of the row groups it reads alone ([`Storage::page_offsets`]).
    pub fn parquet_metadata(&self, rel: &str, reader: &FileReader) -> Result<ArrowReaderMetadata> {
        if let Some(m) = self.footers().get(rel) {
            return Ok(m.clone());
        }
        let options = ArrowReaderOptions::new()
            .with_column_index_policy(PageIndexPolicy::Skip)
            .with_offset_index_policy(PageIndexPolicy::Skip)
            .with_size_stats_policy(ParquetStatisticsPolicy::SkipAll)
            .with_encoding_stats_policy(ParquetStatisticsPolicy::SkipAll);
        let metadata = ArrowReaderMetadata::load(reader, options).map_err(|source| StoreError::Parquet {
            path: self.path(rel),
            source,
        })?;
        let mut footers = self.footers();
        if footers.len() >= FOOTER_CACHE_FILES {
            footers.clear();
        }
        footers.insert(rel.to_string(), metadata.clone());
        Ok(metadata)
    }

    /// The offset indexes of row groups `groups` of the data file `rel` (whose footer is
    /// `metadata`, read through `reader`), one entry per group in that order: from the
    /// cache, and for the groups not in it read from the file in one pass and kept.
    /// `None` when the file was written without offset indexes.
    pub fn page_offsets(
        &self,
        rel: &str,
        reader: &FileReader,
        metadata: &ParquetMetaData,
        groups: &[usize],
    ) -> Result<Option<Vec<GroupPageOffsets>>> {
        let mut found: Vec<Option<GroupPageOffsets>> = {
            let cache = self.page_offset_cache();
            let file = cache.files.get(rel);
            groups
                .iter()
                .map(|g| file.and_then(|f| f.get(g)).cloned())
                .collect()
        };
        let missing: Vec<usize> = groups
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(&g, _)| g)
            .collect();
        if !missing.is_empty() {
            let Some(loaded) =
                read_page_offsets(metadata, &missing, reader).map_err(|source| StoreError::Parquet {
                    path: self.path(rel),
                    source,
                })?
            else {
                return Ok(None);
            };
            let mut cache = self.page_offset_cache();
            if cache.groups + loaded.len() > PAGE_OFFSET_CACHE_GROUPS {
                *cache = PageOffsetCache::default();
            }
            cache.groups += loaded.len();
            let file = cache.files.entry(rel.to_string()).or_default();
            let mut loaded = missing.iter().zip(loaded);
            for slot in found.iter_mut().filter(|f| f.is_none()) {
                let (&g, offsets) = loaded.next().expect("one loaded entry per missing group");
                let offsets = Arc::new(offsets);
                file.insert(g, offsets.clone());
                *slot = Some(offsets);
            }
        }
        Ok(Some(found.into_iter().flatten().collect()))
    }

    fn footers(&self) -> MutexGuard<'_, HashMap<String, ArrowReaderMetadata>> {
        self.inner
            .metadata
            .footers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn page_offset_cache(&self) -> MutexGuard<'_, PageOffsetCache> {
        self.inner
            .metadata
            .page_offsets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// Reads the offset indexes of row groups `groups` of `metadata`'s file through `reader`,
/// one entry per group in that order; `None` when the file has none.
fn read_page_offsets(
    metadata: &ParquetMetaData,
    groups: &[usize],
    reader: &FileReader,
) -> parquet::errors::Result<Option<Vec<Vec<OffsetIndexMetaData>>>> {
    let row_groups = groups.iter().map(|&g| metadata.row_group(g).clone()).collect();
    let subset = ParquetMetaDataBuilder::new(metadata.file_metadata().clone())
        .set_row_groups(row_groups)
        .build();
    let mut loader = ParquetMetaDataReader::new_with_metadata(subset)
        .with_column_index_policy(PageIndexPolicy::Skip)
        .with_offset_index_policy(PageIndexPolicy::Optional);
    loader.read_page_indexes(reader)?;
    let loaded = loader.finish()?;
    Ok(loaded.offset_index().cloned())
}
