//! Decompressed data pages kept for the next read of the same page.
//!
//! A query that needs a few rows of every series (an instant query, an alert's
//! evaluation, a dashboard refreshed) decompresses every page of the column chunks it
//! reads, since each page holds rows of many series: for `rate(x[5m])` at one time over
//! 1,200 series of a 6 h file, zstd is more than half of the work. A long-lived process
//! (`parquetry serve`) reads the same pages again and again, so it may keep them here,
//! decompressed, up to a budget of bytes; a page read again is then taken from memory
//! with neither a read nor a decompression.
//!
//! The cache is one per process and off until [`set_page_cache_bytes`] gives it a
//! budget. Pages are found by their file's name and size and their offset in the file.
//! Data files never change once written, and a new file never takes an old file's name
//! (names carry a random part), so a page found is the page that would be read. Only
//! data pages located through a file's offset index, in chunks without a dictionary
//! page, are kept (the pages the flat column reader reads: timestamps and values).

use parquet::column::page::Page;
use quick_cache::sync::Cache;
use quick_cache::{OptionsBuilder, Weighter};
use std::sync::{Arc, RwLock};

/// Bytes a kept page is charged beyond its buffer: the key, the page's header fields and
/// the cache's own entry.
const ENTRY_OVERHEAD: u64 = 160;

/// Pages a budget is expected to hold per MiB, for sizing the cache's table.
const PAGES_PER_MIB: u64 = 4;

/// The file a page belongs to: its name (path or URL) and size.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PageFile {
    /// The file's path in a local store, or its URL in object storage.
    pub name: Arc<str>,
    /// The file's size in bytes.
    pub size: u64,
}

/// One page of one file: the file and the page's offset in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PageKey {
    file: PageFile,
    offset: u64,
}

/// Charges a page its decompressed bytes and its entry.
#[derive(Clone)]
struct PageWeight;

impl Weighter<PageKey, Page> for PageWeight {
    fn weight(&self, _key: &PageKey, page: &Page) -> u64 {
        page.buffer().len() as u64 + ENTRY_OVERHEAD
    }
}

/// The process' cache, when it has a budget.
static CACHE: RwLock<Option<Arc<PageCache>>> = RwLock::new(None);

/// Keeps up to `bytes` of decompressed pages for later reads in this process (0 turns
/// the cache off). Pages kept so far are dropped. Reads already under way finish with
/// the cache they started with.
pub fn set_page_cache_bytes(bytes: u64) {
    let cache = (bytes > 0).then(|| Arc::new(PageCache::with_budget(bytes)));
    *CACHE.write().unwrap_or_else(|e| e.into_inner()) = cache;
}

/// What the page cache holds and how it has been used since its budget was last set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageCacheStats {
    /// The budget in bytes (0: off).
    pub capacity: u64,
    /// Bytes charged to the pages held.
    pub bytes: u64,
    /// Pages held.
    pub pages: usize,
    /// Pages found in the cache.
    pub hits: u64,
    /// Pages looked for and not found (then read and kept).
    pub misses: u64,
}

/// The page cache's size and use now.
pub fn page_cache_stats() -> PageCacheStats {
    match current() {
        None => PageCacheStats::default(),
        Some(cache) => PageCacheStats {
            capacity: cache.0.capacity(),
            bytes: cache.0.weight(),
            pages: cache.0.len(),
            hits: cache.0.hits(),
            misses: cache.0.misses(),
        },
    }
}

/// The cache, when it is on; a reader holds it for the pages of one column chunk.
pub(crate) fn current() -> Option<Arc<PageCache>> {
    CACHE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The process' cache of pages.
pub(crate) struct PageCache(Cache<PageKey, Page, PageWeight>);

impl PageCache {
    /// An empty cache keeping up to `bytes` (above 0) of pages.
    fn with_budget(bytes: u64) -> PageCache {
        let pages = (bytes >> 20).saturating_mul(PAGES_PER_MIB).clamp(16, 1 << 20);
        // One shard: pages weigh up to a MiB, and a budget split into shards (four per
        // core by default) leaves each shard room for a handful of them, so a query's
        // pages that would fit the whole budget still push each other out of a crowded
        // shard.
        let options = OptionsBuilder::new()
            .estimated_items_capacity(pages as usize)
            .weight_capacity(bytes)
            .shards(1)
            .build()
            .expect("the capacities and the shard count are set");
        PageCache(Cache::with_options(
            options,
            PageWeight,
            Default::default(),
            Default::default(),
        ))
    }

    /// The page of `file` at `offset`, if kept.
    pub(crate) fn get(&self, file: &PageFile, offset: u64) -> Option<Page> {
        self.0.get(&PageKey {
            file: file.clone(),
            offset,
        })
    }

    /// Keeps `page`, decompressed, as the page of `file` at `offset`.
    pub(crate) fn insert(&self, file: &PageFile, offset: u64, page: &Page) {
        let key = PageKey {
            file: file.clone(),
            offset,
        };
        self.0.insert(key, page.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::super::delta_ints::tests::write_ints;
    use super::super::read_row_ranges_whole;
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;
    use std::ops::Range;

    /// The values of `rel`'s column in rows `ranges`, read as a scan reads them.
    fn read(storage: &crate::Storage, rel: &str, ranges: &[Range<u64>]) -> Vec<i64> {
        let batches = read_row_ranges_whole(storage, rel, ranges, &[0]).unwrap();
        batches[0].column(0).as_primitive::<Int64Type>().values().to_vec()
    }

    fn steps(from: i64, n: i64) -> Vec<i64> {
        (0..n).map(|i| from + i * 15_000 + i % 7).collect()
    }

    #[test]
    fn pages_that_fit_the_budget_together_all_stay_after_a_second_pass() {
        // 60 pages of 512 KiB (30 MiB) read over and over, as an instant query re-reads
        // a metric's pages, under a 32 MiB budget: after the second pass admits them,
        // every read is a hit, whichever pages their keys hash alike.
        let cache = PageCache::with_budget(32 << 20);
        let file = PageFile {
            name: Arc::from("data/one.parquet"),
            size: 1 << 30,
        };
        let page = Page::DataPage {
            buf: bytes::Bytes::from(vec![0u8; 512 << 10]),
            num_values: 65_536,
            encoding: parquet::basic::Encoding::PLAIN,
            def_level_encoding: parquet::basic::Encoding::RLE,
            rep_level_encoding: parquet::basic::Encoding::RLE,
            statistics: None,
        };
        let pass = || {
            (0..60u64)
                .filter(|i| {
                    let offset = i * (600 << 10);
                    let hit = cache.get(&file, offset).is_some();
                    if !hit {
                        cache.insert(&file, offset, &page);
                    }
                    hit
                })
                .count()
        };
        assert_eq!(pass(), 0);
        pass();
        assert_eq!(pass(), 60);
    }

    // The process' cache is one per process: this is its only test that gives it a budget
    // (the test above makes a cache of its own), and
    // the test runner starts a process per test.
    #[test]
    fn pages_read_again_come_from_the_cache_as_they_were_first_read() {
        let dir = tempfile::tempdir().unwrap();
        let storage = crate::Storage::local(dir.path());
        let (first, second) = (steps(1_000, 5_000), steps(9_000_000, 5_000));
        // Two files of the same layout: their pages are at the same offsets.
        write_ints(&storage, "a.parquet", &first, 500, 2_000, false);
        write_ints(&storage, "b.parquet", &second, 500, 2_000, false);
        let all = std::slice::from_ref(&(0..5_000));
        let some = [1_250..1_550, 4_500..5_000];
        let part = |v: &[i64]| -> Vec<i64> { v[1_250..1_550].iter().chain(&v[4_500..]).copied().collect() };

        set_page_cache_bytes(64 << 20);
        assert_eq!(read(&storage, "a.parquet", all), first);
        let after_first = page_cache_stats();
        assert_eq!(
            (after_first.misses, after_first.hits, after_first.pages),
            (10, 0, 10)
        );
        assert_eq!(read(&storage, "a.parquet", all), first);
        assert_eq!(page_cache_stats().hits, 10);
        // The same offsets in another file are other pages.
        assert_eq!(read(&storage, "b.parquet", all), second);
        assert_eq!(page_cache_stats().misses, 20);
        // A selection takes the three pages it needs from the cache and skips the others.
        assert_eq!(read(&storage, "a.parquet", &some), part(&first));
        assert_eq!(page_cache_stats().hits, 13);

        // A budget smaller than a page keeps nothing and changes no value.
        set_page_cache_bytes(100);
        assert_eq!(read(&storage, "b.parquet", all), second);
        assert_eq!(read(&storage, "b.parquet", &some), part(&second));
        assert_eq!(page_cache_stats().pages, 0);

        set_page_cache_bytes(0);
        assert_eq!(page_cache_stats(), PageCacheStats::default());
        assert_eq!(read(&storage, "a.parquet", all), first);
    }
}
