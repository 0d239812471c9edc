#include <algorithm>
#include <string>
#include <vector>

#include "engine/ops/op.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops {
namespace {

using OpGroup = std::span<const OpDef> (*)();

// The whole registry: a constant list of constant arrays. Lookup is a linear scan over a few dozen
// entries, which happens once per node at load time.
constexpr OpGroup kOpGroups[] = {
    &reference::ElementwiseOps, &reference::ConvOps,   &reference::NormOps,  &reference::PoolOps,
    &reference::MatMulOps,      &reference::ResizeOps, &reference::ShapeOps,
};

}  // namespace

const OpDef* FindOp(std::string_view op_type) {
  for (OpGroup group : kOpGroups) {
    for (const OpDef& def : group()) {
      if (def.op_type == op_type) return &def;
    }
  }
  return nullptr;
}

std::vector<std::string> SupportedOps() {
  std::vector<std::string> names;
  for (OpGroup group : kOpGroups) {
    for (const OpDef& def : group()) names.emplace_back(def.op_type);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace plateau::ops
