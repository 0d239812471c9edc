// Layout assignment: decides, for every run-time value of a specialised graph, whether its bytes are
// plain row-major, NHWC or channel-blocked (nChw8c / nChw16c), and inserts plateau.Reorder nodes where a
// producer and a consumer disagree.
//
// Convolution chains run fastest in the CPU's blocked layout (oneDNN's direct kernels split work evenly
// across threads there), then in NHWC, while shape-manipulating ops (Reshape, Transpose, MatMul, ...) need
// plain row-major data. Convolutions whose input and output channels are multiples of the block take the
// blocked layout, other convolutions NHWC; element-wise ops, pooling, resize and concat follow their bulk
// inputs. A reorder goes in front of the first op wanting another layout. Graph inputs and outputs are
// always plain.
#pragma once

#include "engine/graph/graph.h"
#include "engine/ops/onednn/kernel.h"
#include "plateau/status.h"

namespace plateau::planner {

// With use_nhwc false every value stays plain and nothing is inserted. With `blocked` a blocked layout
// (graph::Layout::kBlocked8 or kBlocked16), ops that take it keep rank-4 data in it (channels a multiple
// of the block), NHWC serving the convolution chains' other ops and channel counts.
Status AssignLayouts(graph::Graph& g, bool use_nhwc, graph::Layout blocked = graph::Layout::kPlain);

// How a kernel sees value `id` of `g` (dtype, shape, layout, constant); an invalid id is an omitted input.
ops::onednn::TensorDesc DescribeValue(const graph::Graph& g, graph::ValueId id);

}  // namespace plateau::planner
