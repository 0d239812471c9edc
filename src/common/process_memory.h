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

}  // namespace plateau
