//! How the process' allocator treats memory a query frees.
//!
//! A query decodes Parquet pages into buffers of several megabytes and frees them when it
//! is done. glibc's defaults hand such blocks straight back to the kernel (blocks above
//! the mmap threshold, and free memory above the trim threshold at the heap's top), so
//! the next query, or the next batch of the same query, faults the pages in and zeroes
//! them again: about a tenth of `histogram_quantile`'s time in `parquetry serve`.
//! Raising both thresholds keeps that memory for reuse instead. The cost is that the
//! process holds on to what its largest query needed (the numbers are in
//! `docs/benchmarks.md`).

/// Blocks up to this size come from the heap rather than from a mapping of their own.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 256 << 20;

/// Free memory at the heap's top is handed back to the kernel only beyond this size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 512 << 20;

/// Tells glibc's allocator to keep freed memory for reuse (see the module's note). Called
/// once, first thing in `main`, before any other thread exists. Does nothing where the C
/// library is not glibc.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets two of the allocator's parameters; it is called before
    // any other thread starts, and with values glibc accepts on 64-bit systems.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
