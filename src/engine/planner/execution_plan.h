// ExecutionPlan: the immutable result of planning one specialised graph. It owns the graph, the order of
// the steps, and where in one arena every run-time value and every step's scratch space lives.
//
// The plan is pure data: it allocates nothing at run time and holds no kernels (those belong to the
// Session's PreparedPlan, together with the arena). Values that are views of others (Reshape, Squeeze...)
// or that an element-wise step overwrites in place share their source's bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "engine/graph/graph.h"
#include "plateau/status.h"

namespace plateau::planner {

// What the planner needs to know about one live node, in execution order.
struct StepRequest {
  graph::NodeId node;
  bool is_view = false;  // output 0 aliases input 0; no kernel runs
  size_t scratch_bytes = 0;
  // Inputs whose buffer output 0 may take over when that input is not needed afterwards.
  std::vector<int> in_place_inputs;
};

struct PlannedStep {
  graph::NodeId node;
  bool is_view = false;
  size_t scratch_offset = 0;
  size_t scratch_bytes = 0;
};

struct PlannedValue {
  bool has_storage = false;  // false for constants and values nobody reads
  size_t offset = 0;         // into the arena
  size_t bytes = 0;
  int root = -1;        // index of the value whose buffer this one shares (itself if owner)
  int first_step = -1;  // lifetime of the buffer (of the root), in step indices
  int last_step = -1;
};

class ExecutionPlan {
 public:
  // Plans `g` (specialised, with layouts assigned) for the given steps. Refuses (ResourceExhausted)
  // plans whose arena would exceed `max_arena_bytes`, stating the bytes needed.
  static StatusOr<ExecutionPlan> Build(graph::Graph g, std::vector<StepRequest> steps,
                                       size_t max_arena_bytes);

  const graph::Graph& graph() const { return graph_; }
  const std::vector<PlannedStep>& steps() const { return steps_; }
  const PlannedValue& value(graph::ValueId id) const { return values_[id.index]; }
  size_t arena_bytes() const { return arena_bytes_; }
  size_t scratch_bytes() const { return scratch_bytes_; }
  // Sum of the bytes of all run-time values, i.e. what the arena would be without reuse.
  size_t unshared_bytes() const { return unshared_bytes_; }
  // Listing of each buffer: value name, shape, layout, offset, size, lifetime; then the arena total.
  std::string ToString() const;

 private:
  graph::Graph graph_;
  std::vector<PlannedStep> steps_;
  std::vector<PlannedValue> values_;
  size_t arena_bytes_ = 0;
  size_t scratch_bytes_ = 0;
  size_t unshared_bytes_ = 0;
};

}  // namespace plateau::planner
