// PLATEAU_CHECK: for programmer errors only (broken invariants), never for bad input. Aborts with the
// condition, file and line.
#pragma once

#include <cstdio>
#include <cstdlib>

#define PLATEAU_CHECK(cond)                                                                    \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "plateau: check failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
