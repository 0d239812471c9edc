// Memory figures of the current process as the operating system reports them (Linux /proc), not as
// plateau counts them.
#pragma once

#include <cstddef>

namespace plateau {

struct ProcessMemory {
  size_t rss_bytes = 0;       // VmRSS: resident now
  size_t peak_rss_bytes = 0;  // VmHWM: highest resident so far
};

// Zeros when /proc is not readable.
ProcessMemory ReadProcessMemory();

}  // namespace plateau
