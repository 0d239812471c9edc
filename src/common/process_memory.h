// Memory figures of the current process as the operating system reports them (Linux /proc), not as
// plateau counts them.
#pragma once

#include <cstddef>

namespace plateau {

struct ProcessMemory {
  size_t rss_bytes = 0;       // VmRSS: resident now
  size_t peak_rss_bytes = 0;  // VmHWM: highest resident so far
  size_t rss_anon_bytes = 0;  // RssAnon: of rss_bytes, anonymous memory (heap, mmap, stacks)
  size_t rss_file_bytes = 0;  // RssFile: of rss_bytes, mapped files (code of plateau and its libraries)
};

// Zeros when /proc is not readable.
ProcessMemory ReadProcessMemory();

// Resets the process's peak RSS (VmHWM) to its current RSS (Linux: "5" written to /proc/self/clear_refs),
// so that a later peak_rss_bytes is the highest since now. Returns false when the kernel refused.
bool ResetPeakRss();

// Drops the resident pages of the process's executable file mappings (the code of plateau and its
// libraries: every private mapping of a file with permissions r-xp) from its RSS with
// madvise(MADV_DONTNEED). Code is never written, so its pages are clean copies of the file: they stay in
// the page cache and the next call into them faults them back in (a minor fault, no disk read while
// the cache holds them). Writable and read-only data mappings are left alone (relocated data written at
// load time would be lost). Returns the bytes of mappings advised (0 when /proc/self/maps is unreadable).
// Safe while other threads run: they fault in what they need.
size_t DropCodePagesFromRss();

// The mmap threshold FixMmapThreshold sets. A page's own buffers (a receipt's 8-bit detection scores and
// bitmap, its decoded pixels, wide line crops) are from a few hundred KiB up: at 1 MiB the smaller of them
// came from the heap, and with two threads allocating, RSS crept up by 15-27 KB a page over 300 pages with
// nothing leaked (docs/BENCHMARKS.md, "The mmap threshold at 256 KiB").
inline constexpr int kMmapThresholdBytes = 256 << 10;

// Fixes glibc's mmap threshold at kMmapThresholdBytes for the whole process: every allocation above it is
// mapped on its own and unmapped when freed. Left alone, glibc raises the threshold each time a mapped
// block is freed, so the next buffers of that size land in the heap, and a heap hole that a later buffer
// of a slightly different size does not fit stays resident: RSS then creeps up a few MiB at a time over
// hundreds of pages with nothing leaked. Idempotent.
void FixMmapThreshold();

}  // namespace plateau
