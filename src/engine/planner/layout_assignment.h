// Layout assignment: decides, for every run-time value of a specialised graph, whether its bytes are
// plain row-major or NHWC, and inserts plateau.Reorder nodes where a producer and a consumer disagree.
//
// Convolution chains run fastest in NHWC on this engine's kernels, while shape-manipulating ops
// (Reshape, Transpose, MatMul, ...) need plain row-major data. Every op whose kernel accepts NHWC keeps
// rank-4 float data in NHWC; the first such op after plain data gets a reorder in front of it, the first
// plain-only op after NHWC data gets one back. Graph inputs and outputs are always plain.
#pragma once

#include "engine/graph/graph.h"
#include "engine/ops/onednn/kernel.h"
#include "plateau/status.h"

namespace plateau::planner {

// With use_nhwc false every value stays plain and nothing is inserted.
Status AssignLayouts(graph::Graph& g, bool use_nhwc);

// How a kernel sees value `id` of `g` (dtype, shape, layout, constant); an invalid id is an omitted input.
ops::onednn::TensorDesc DescribeValue(const graph::Graph& g, graph::ValueId id);

}  // namespace plateau::planner
