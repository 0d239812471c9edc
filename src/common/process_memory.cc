#include "common/process_memory.h"

#include <malloc.h>
#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace plateau {

ProcessMemory ReadProcessMemory() {
  ProcessMemory m;
  // fopen/fgets rather than iostreams: this is called in measurement loops and must stay cheap.
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    unsigned long long kb = 0;
    if (std::strncmp(line, "VmRSS:", 6) == 0 && std::sscanf(line + 6, "%llu", &kb) == 1) {
      m.rss_bytes = static_cast<size_t>(kb) * 1024;
    } else if (std::strncmp(line, "VmHWM:", 6) == 0 && std::sscanf(line + 6, "%llu", &kb) == 1) {
      m.peak_rss_bytes = static_cast<size_t>(kb) * 1024;
    } else if (std::strncmp(line, "RssAnon:", 8) == 0 && std::sscanf(line + 8, "%llu", &kb) == 1) {
      m.rss_anon_bytes = static_cast<size_t>(kb) * 1024;
    } else if (std::strncmp(line, "RssFile:", 8) == 0 && std::sscanf(line + 8, "%llu", &kb) == 1) {
      m.rss_file_bytes = static_cast<size_t>(kb) * 1024;
    }
  }
  std::fclose(f);
  return m;
}

size_t DropCodePagesFromRss() {
  FILE* f = std::fopen("/proc/self/maps", "r");
  if (f == nullptr) return 0;
  size_t advised = 0;
  char line[4096];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    uintptr_t begin = 0, end = 0;
    char perms[8] = {};
    unsigned long long offset = 0, inode = 0;
    char dev[16] = {};
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %15s %llu", &begin, &end, perms, &offset, dev,
                    &inode) != 6) {
      continue;
    }
    // Private executable mappings of a file, nothing else: [vdso], [vsyscall] and JIT code are anonymous
    // (inode 0), and a writable or shared mapping may hold data that exists nowhere else.
    if (inode == 0 || std::strcmp(perms, "r-xp") != 0 || end <= begin) continue;
    // The addresses come from /proc/self/maps as numbers; there is no pointer to derive them from.
    // NOLINTNEXTLINE(performance-no-int-to-ptr)
    if (madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0) advised += end - begin;
  }
  std::fclose(f);
  return advised;
}

bool ResetPeakRss() {
  FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool written = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && written;
}

// glibc's mallopt takes the main arena's lock; the threshold it sets is a word other threads' malloc
// reads, at worst once more at its old value.
void FixMmapThreshold() { mallopt(M_MMAP_THRESHOLD, kMmapThresholdBytes); }  // NOLINT(concurrency-mt-unsafe)

}  // namespace plateau
