// Support for the fuzz targets: a property that must hold stops the run with a message (libFuzzer then
// saves the input as a crash), in every build mode.
#pragma once

#include <cstdio>
#include <cstdlib>

#define PLATEAU_FUZZ_CHECK(cond, what)                                                            \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: property failed: %s (%s)\n", __FILE__, __LINE__, #cond, what); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)
