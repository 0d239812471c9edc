// Specialisation: turns a model graph into the graph for one concrete set of input shapes.
//
// Every value gets a concrete shape (via each op's infer function). Nodes whose inputs are all known at
// plan time are evaluated with the reference kernels and become constants: this is what makes the
// shape sub-graphs of the recognition model (Shape -> Cast -> Slice -> Concat -> Reshape) disappear.
#pragma once

#include <span>

#include "engine/graph/graph.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau::planner {

struct SpecializeOptions {
  // Constant outputs larger than this are not folded (the node stays and runs at run time).
  size_t max_folded_bytes = 64u << 20;
};

// Fails (InvalidArgument) when the number of shapes, a rank, a fixed dim or a non-positive dim does not
// match the model's declared inputs, naming the input and both shapes; and with the node's name when an
// op's shape inference rejects the shapes.
Status SpecializeShapes(graph::Graph& g, std::span<const Shape> input_shapes,
                        const SpecializeOptions& options = {});

}  // namespace plateau::planner
