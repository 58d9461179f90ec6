//! Column chunks' pages, decompressed with one zstd context per thread.
//!
//! parquet-rs makes a codec for every column chunk it opens, and a zstd codec is a
//! compression context and a decompression context, each of which asks the processor for
//! its features with `cpuid`: three times each. In a virtual machine every `cpuid` traps
//! to the hypervisor (several microseconds each on the machines we measure on), so a
//! chunk cost tens of microseconds before its first byte was read, more than decoding
//! the few pages a small query reads. Here parquet-rs reads a chunk's pages as if they
//! were stored uncompressed, and each page is decompressed with a context its thread
//! keeps for its whole life. Chunks of other codecs are read by parquet-rs as they are.
//!
//! Every reader of the table core takes its pages from here: the Arrow reader through
//! [`record_batches`], the byte-stream-split float reader through [`chunk_pages`].

use super::page_cache::{self, PageCache, PageFile};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReader, RowGroups, RowSelection};
use parquet::arrow::parquet_to_arrow_field_levels;
use parquet::basic::Compression;
use parquet::column::page::{Page, PageIterator, PageMetadata, PageReader};
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData, RowGroupMetaData};
use parquet::file::page_index::offset_index::PageLocation;
use parquet::file::reader::ChunkReader;
use parquet::file::serialized_reader::SerializedPageReader;
use std::cell::RefCell;
use std::sync::Arc;

/// The pages of column chunk `chunk` (of a row group of `rows` rows) read from `reader`,
/// decompressed; `locations` are the chunk's page locations from the offset index, which
/// let a reader skip pages unread. With `file` (the file `reader` reads), the pages
/// are taken from and kept in the process' [`page_cache`] when it is on and the chunk's
/// pages are all located (zstd data pages, no dictionary page).
pub(crate) fn chunk_pages<R: ChunkReader + 'static>(
    reader: Arc<R>,
    chunk: &ColumnChunkMetaData,
    rows: usize,
    locations: Option<Vec<PageLocation>>,
    file: Option<PageFile>,
) -> Result<Box<dyn PageReader>> {
    if !matches!(chunk.compression(), Compression::ZSTD(_)) {
        return Ok(Box::new(SerializedPageReader::new(
            reader, chunk, rows, locations,
        )?));
    }
    let cached = match (file, &locations, page_cache::current()) {
        (Some(file), Some(locations), Some(cache)) if chunk.dictionary_page_offset().is_none() => {
            Some(CachedPages {
                cache,
                file,
                offsets: locations.iter().map(|l| l.offset as u64).collect(),
                next: 0,
            })
        }
        _ => None,
    };
    let stored = chunk
        .clone()
        .into_builder()
        .set_compression(Compression::UNCOMPRESSED)
        .build()?;
    let pages = SerializedPageReader::new(reader, &stored, rows, locations)?;
    Ok(Box::new(ZstdPages { pages, cached }))
}

/// A reader of `metadata`'s file yielding record batches of at most `batch_rows` rows:
/// the root columns in `mask`, as `metadata`'s Arrow schema types them, of row groups
/// `groups` (every group on `None`), and of the rows `selection` chooses among those
/// groups' rows, one group after another (every row on `None`). Pages holding no chosen
/// row are skipped unread where `metadata` holds the file's offset index.
pub(crate) fn record_batches<R: ChunkReader + 'static>(
    reader: R,
    metadata: &ArrowReaderMetadata,
    mask: ProjectionMask,
    groups: Option<Vec<usize>>,
    selection: Option<RowSelection>,
    batch_rows: usize,
) -> Result<ParquetRecordBatchReader> {
    let file = metadata.metadata();
    let groups = groups.unwrap_or_else(|| (0..file.num_row_groups()).collect());
    if let Some(&g) = groups.iter().find(|&&g| g >= file.num_row_groups()) {
        return Err(ParquetError::General(format!(
            "row group {g} asked for in a file of {} row groups",
            file.num_row_groups()
        )));
    }
    let row_groups = FileRowGroups {
        reader: Arc::new(reader),
        metadata: file.clone(),
        groups,
    };
    let levels =
        parquet_to_arrow_field_levels(metadata.parquet_schema(), mask, Some(metadata.schema().fields()))?;
    let batch_rows = batch_rows.clamp(1, row_groups.num_rows().max(1));
    ParquetRecordBatchReader::try_new_with_row_groups(&levels, &row_groups, batch_rows, selection)
}

/// Row groups `groups` of one file, their column chunks read through [`chunk_pages`].
struct FileRowGroups<R> {
    reader: Arc<R>,
    metadata: Arc<ParquetMetaData>,
    /// Indexes into the file's row groups, each below their count.
    groups: Vec<usize>,
}

impl<R: ChunkReader + 'static> RowGroups for FileRowGroups<R> {
    fn num_rows(&self) -> usize {
        self.row_groups().map(|g| g.num_rows() as usize).sum()
    }

    fn column_chunks(&self, column: usize) -> Result<Box<dyn PageIterator>> {
        let chunks: Vec<Result<Box<dyn PageReader>>> = self
            .groups
            .iter()
            .map(|&g| {
                let group = self.metadata.row_group(g);
                let locations = self
                    .metadata
                    .offset_index()
                    .and_then(|index| index.get(g))
                    .and_then(|columns| columns.get(column))
                    .map(|offsets| offsets.page_locations().clone());
                chunk_pages(
                    self.reader.clone(),
                    group.column(column),
                    group.num_rows() as usize,
                    locations,
                    None,
                )
            })
            .collect();
        Ok(Box::new(ChunkPages(chunks.into_iter())))
    }

    fn row_groups(&self) -> Box<dyn Iterator<Item = &RowGroupMetaData> + '_> {
        Box::new(self.groups.iter().map(|&g| self.metadata.row_group(g)))
    }

    fn metadata(&self) -> &ParquetMetaData {
        &self.metadata
    }
}

/// The page readers of one column's chunks, one row group after another.
struct ChunkPages(std::vec::IntoIter<Result<Box<dyn PageReader>>>);

impl Iterator for ChunkPages {
    type Item = Result<Box<dyn PageReader>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }
}

impl PageIterator for ChunkPages {}

/// A zstd chunk's pages, read as stored and decompressed one by one.
struct ZstdPages<R: ChunkReader> {
    pages: SerializedPageReader<R>,
    /// Where the chunk's pages are kept decompressed, when they are.
    cached: Option<CachedPages>,
}

/// A chunk's place in the page cache: its file, the offsets of its pages (in the order
/// the reader meets them) and the number of pages read or skipped so far.
struct CachedPages {
    cache: Arc<PageCache>,
    file: PageFile,
    offsets: Vec<u64>,
    next: usize,
}

impl<R: ChunkReader> Iterator for ZstdPages<R> {
    type Item = Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl<R: ChunkReader> PageReader for ZstdPages<R> {
    fn get_next_page(&mut self) -> Result<Option<Page>> {
        // The cache and this page's offset, when the chunk's pages are cached.
        let kept = self.cached.as_mut().and_then(|cached| {
            let offset = *cached.offsets.get(cached.next)?;
            cached.next += 1;
            Some((&*cached, offset))
        });
        if let Some((cached, offset)) = kept
            && let Some(page) = cached.cache.get(&cached.file, offset)
        {
            self.pages.skip_next_page()?;
            return Ok(Some(page));
        }
        let page = self.pages.get_next_page()?.map(decompress_page).transpose()?;
        if let (Some((cached, offset)), Some(page)) = (kept, &page) {
            cached.cache.insert(&cached.file, offset, page);
        }
        Ok(page)
    }

    fn peek_next_page(&mut self) -> Result<Option<PageMetadata>> {
        self.pages.peek_next_page()
    }

    fn skip_next_page(&mut self) -> Result<()> {
        if let Some(cached) = &mut self.cached {
            cached.next += 1;
        }
        self.pages.skip_next_page()
    }

    fn at_record_boundary(&mut self) -> Result<bool> {
        self.pages.at_record_boundary()
    }
}

/// `page` with its zstd-compressed bytes decompressed (a v2 data page's levels, stored
/// uncompressed before its values, kept as they are).
fn decompress_page(mut page: Page) -> Result<Page> {
    match &mut page {
        Page::DataPage { buf, .. } | Page::DictionaryPage { buf, .. } => *buf = decompress(buf, 0)?,
        Page::DataPageV2 {
            buf,
            def_levels_byte_len,
            rep_levels_byte_len,
            is_compressed: true,
            ..
        } => {
            let levels = *def_levels_byte_len as usize + *rep_levels_byte_len as usize;
            if levels > buf.len() {
                return Err(ParquetError::General(format!(
                    "a data page's levels take {levels} bytes of its {}",
                    buf.len()
                )));
            }
            *buf = decompress(buf, levels)?;
        }
        Page::DataPageV2 { .. } => {}
    }
    Ok(page)
}

/// The largest page a zstd frame header may announce: Parquet's page sizes are `i32`.
const MAX_PAGE_BYTES: u64 = i32::MAX as u64;

thread_local! {
    /// This thread's decompression context, made on its first page.
    static CONTEXT: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// `buf` with its bytes from `kept` on (one zstd frame, or several one after another)
/// decompressed, and those before `kept` copied as they are. An empty compressed part
/// (a page without values) stays empty.
fn decompress(buf: &[u8], kept: usize) -> Result<bytes::Bytes> {
    let (plain, compressed) = buf.split_at(kept);
    let mut out = Vec::new();
    if compressed.is_empty() {
        out.extend_from_slice(plain);
        return Ok(out.into());
    }
    match zstd::zstd_safe::get_frame_content_size(compressed).ok().flatten() {
        Some(size) if size > MAX_PAGE_BYTES => {
            return Err(ParquetError::General(format!(
                "a zstd frame announces {size} bytes, more than a page can hold"
            )));
        }
        Some(size) => {
            out.reserve_exact(kept + size as usize);
            out.extend_from_slice(plain);
            let read = CONTEXT.with(|context| -> std::io::Result<usize> {
                let mut context = context.borrow_mut();
                let context = match context.as_mut() {
                    Some(context) => context,
                    None => context.insert(zstd::bulk::Decompressor::new()?),
                };
                // The cursor makes the context write after the kept bytes, not over them.
                let mut after_kept = std::io::Cursor::new(&mut out);
                after_kept.set_position(kept as u64);
                context.decompress_to_buffer(compressed, &mut after_kept)
            });
            if read.is_ok() {
                return Ok(out.into());
            }
            out.truncate(kept);
        }
        None => out.extend_from_slice(plain),
    }
    // More frames after the first (the buffer sized for the first is too small), a frame
    // that does not announce its size, or damage: the streaming decoder reads every frame
    // or says what is wrong.
    zstd::stream::copy_decode(compressed, &mut out).map_err(zstd_error)?;
    Ok(out.into())
}

fn zstd_error(e: std::io::Error) -> ParquetError {
    ParquetError::General(format!("cannot decompress a zstd page: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelector};
    use parquet::basic::ZstdLevel;
    use parquet::file::metadata::PageIndexPolicy;
    use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};

    /// A file of `rows` rows (`n`, and `name` repeating over a few values) in pages of
    /// 100 rows and row groups of 1,000, written with `compression` and `version`.
    fn file(rows: i64, compression: Compression, version: WriterVersion) -> bytes::Bytes {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let names: Vec<Option<String>> = (0..rows)
            .map(|i| (i % 7 != 0).then(|| format!("name{}", i % 5)))
            .collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(0..rows)),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_compression(compression)
            .set_writer_version(version)
            .set_data_page_row_count_limit(100)
            .set_write_batch_size(100)
            .set_max_row_group_row_count(Some(1000))
            .set_statistics_enabled(EnabledStatistics::Page)
            .build();
        let mut out = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        out.into()
    }

    /// Every batch of reading `data` both ways, with the same groups and selection:
    /// parquet-rs' own reader, and [`record_batches`].
    fn both_ways(
        data: &bytes::Bytes,
        groups: Vec<usize>,
        selection: Option<Vec<RowSelector>>,
    ) -> (Vec<RecordBatch>, Vec<RecordBatch>) {
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let metadata = ArrowReaderMetadata::load(data, options).unwrap();
        let mut builder = ParquetRecordBatchReaderBuilder::new_with_metadata(data.clone(), metadata.clone())
            .with_row_groups(groups.clone())
            .with_batch_size(256);
        if let Some(s) = &selection {
            builder = builder.with_row_selection(RowSelection::from(s.clone()));
        }
        let theirs = builder
            .build()
            .unwrap()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        let mask = ProjectionMask::all();
        let ours = record_batches(
            data.clone(),
            &metadata,
            mask,
            Some(groups),
            selection.map(RowSelection::from),
            256,
        )
        .unwrap()
        .collect::<std::result::Result<Vec<_>, _>>()
        .unwrap();
        (theirs, ours)
    }

    fn numbers(batches: &[RecordBatch]) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect()
    }

    #[test]
    fn zstd_and_plain_pages_of_both_versions_read_as_parquet_rs_reads_them() {
        for compression in [
            Compression::ZSTD(ZstdLevel::try_new(3).unwrap()),
            Compression::UNCOMPRESSED,
        ] {
            for version in [WriterVersion::PARQUET_1_0, WriterVersion::PARQUET_2_0] {
                let data = file(2500, compression, version);
                let (theirs, ours) = both_ways(&data, vec![0, 1, 2], None);
                assert_eq!(ours, theirs, "{compression:?} {version:?}");
                assert_eq!(numbers(&ours), (0..2500).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn selections_skip_pages_and_groups_as_parquet_rs_does() {
        let data = file(
            2500,
            Compression::ZSTD(ZstdLevel::default()),
            WriterVersion::PARQUET_1_0,
        );
        let selection = vec![
            RowSelector::skip(150),
            RowSelector::select(20),
            RowSelector::skip(630),
            RowSelector::select(250),
            RowSelector::skip(450),
        ];
        let (theirs, ours) = both_ways(&data, vec![0, 2], Some(selection));
        assert_eq!(ours, theirs);
        let expected: Vec<i64> = (150..170).chain(800..1000).chain(2000..2050).collect();
        assert_eq!(numbers(&ours), expected);
    }

    #[test]
    fn several_frames_and_frames_without_a_size_decompress_whole() {
        let first = zstd::bulk::compress(b"first frame, ", 3).unwrap();
        let second = zstd::bulk::compress(b"second frame", 3).unwrap();
        let both = [first.as_slice(), second.as_slice()].concat();
        assert_eq!(&decompress(&both, 0).unwrap()[..], b"first frame, second frame");
        let mut unsized_frame = Vec::new();
        let mut encoder = zstd::stream::write::Encoder::new(&mut unsized_frame, 3).unwrap();
        encoder.include_contentsize(false).unwrap();
        std::io::Write::write_all(&mut encoder, b"no size announced").unwrap();
        encoder.finish().unwrap();
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&unsized_frame).unwrap(),
            None
        );
        let with_levels = [b"LV".as_slice(), &unsized_frame].concat();
        assert_eq!(&decompress(&with_levels, 2).unwrap()[..], b"LVno size announced");
    }

    #[test]
    fn damaged_pages_are_errors() {
        let mut frame = zstd::bulk::compress(&[7u8; 4096], 3).unwrap();
        let last = frame.len() - 1;
        frame.truncate(last);
        assert!(decompress(&frame, 0).is_err());
        assert!(decompress(b"not zstd at all", 0).is_err());
    }

    #[test]
    fn a_group_past_the_end_is_an_error() {
        let data = file(10, Compression::UNCOMPRESSED, WriterVersion::PARQUET_1_0);
        let metadata = ArrowReaderMetadata::load(&data, ArrowReaderOptions::new()).unwrap();
        let err = record_batches(data, &metadata, ProjectionMask::all(), Some(vec![1]), None, 8)
            .err()
            .unwrap();
        assert!(err.to_string().contains("row group 1"), "{err}");
    }
}
