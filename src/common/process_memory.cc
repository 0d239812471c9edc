#include "common/process_memory.h"

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

}  // namespace plateau
