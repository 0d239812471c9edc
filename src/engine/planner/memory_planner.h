// MemoryPlanner: places buffers with known lifetimes in one arena so that no two buffers that are live
// at the same time overlap, keeping the arena small.
//
// Each buffer is a usage record {first_step, last_step, size}. Records are placed largest first; each
// goes into the smallest gap (best fit) between the already placed records whose lifetimes overlap its
// own, or after the last of them. Offsets are aligned to kArenaAlignment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "plateau/status.h"

namespace plateau::planner {

inline constexpr size_t kArenaAlignment = 64;

struct UsageRecord {
  int first_step = 0;  // first step at which the buffer must hold data (inclusive)
  int last_step = 0;   // last step that reads it (inclusive)
  size_t size = 0;     // bytes; 0-sized records get offset 0 and take no space
  size_t offset = 0;   // output
};

// Assigns `offset` of every record and returns the arena size in bytes (a multiple of
// kArenaAlignment). Deterministic: equal inputs give equal offsets.
size_t PlanMemory(std::vector<UsageRecord>& records);

// Returns a description of the first pair of records that overlap in both lifetime and bytes, or an
// empty string when the placement is valid. Used by tests as an invariant checker.
std::string FindOverlap(const std::vector<UsageRecord>& records);

}  // namespace plateau::planner
