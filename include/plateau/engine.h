// plateau's inference engine: load an ONNX model once, run it from one Session per thread.
//
//   auto model = plateau::Model::Load("models/ch_PP-OCRv4_det_infer.onnx");
//   if (!model.ok()) return model.status();
//   auto session = plateau::Session::Create(*model, {.threads = 2});
//   std::vector<plateau::TensorView> outputs;
//   PLATEAU_RETURN_IF_ERROR((*session)->Run({input_view}, &outputs));
//   // outputs[0] points into the session's arena and stays valid until the next Run or Trim.
//
// Model holds the graph and the weights (read-only, shared by all sessions and threads). A Session
// holds the run state: a cache of execution plans keyed by input shape (LRU, bounded) and one arena
// that grows to the largest plan run and stays at that high-water mark (evictions do not shrink it) until
// Trim. A Session is not thread-safe; use one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plateau/status.h"
#include "plateau/tensor.h"

namespace plateau {

namespace graph {
class Graph;
}
class PreparedPlan;

struct ModelOptions {
  // Refuse shapes whose plan would need more than this many arena bytes (0: no limit besides the
  // built-in sanity ceiling of 64 GiB).
  size_t max_arena_bytes = 0;
};

class Model {
 public:
  // Parses and optimises the model. Errors name the file and, for unsupported content, the node, op and
  // opset.
  static StatusOr<std::shared_ptr<const Model>> Load(const std::string& path,
                                                     const ModelOptions& options = {});
  static StatusOr<std::shared_ptr<const Model>> LoadFromBytes(const std::string& bytes,
                                                              const std::string& label,
                                                              const ModelOptions& options = {});
  ~Model();

  const std::string& path() const { return path_; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;
  // Declared input shape; -1 marks a dynamic dim.
  Shape input_shape(size_t i) const;
  // Bytes of weights as loaded (the constants of the graph) plus weights re-laid out for the kernels.
  size_t weights_bytes() const;
  const graph::Graph& graph() const { return *graph_; }
  const ModelOptions& options() const { return options_; }

  // Internal: the store of packed weights shared by sessions.
  struct Internals;
  Internals& internals() const { return *internals_; }

 private:
  Model();
  std::string path_;
  ModelOptions options_;
  std::unique_ptr<graph::Graph> graph_;
  std::unique_ptr<Internals> internals_;
};

class AlignedBuffer;

// One block of activation memory for sessions that never run at the same time (the stages of one
// pipeline, which run one after another): it grows to the largest plan any of them has run, where
// separate arenas would each stay at their own high-water mark and add up. With it, a Run's outputs stay
// valid only until any of those sessions runs, plans or trims again. Not thread-safe, like a Session.
class SharedArena {
 public:
  static std::shared_ptr<SharedArena> Create();
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;
  size_t bytes() const;  // held now; 0 until a session runs, and after Trim of any of them
  // Internal: the block the sessions bind their plans to.
  AlignedBuffer& buffer() { return *buffer_; }

 private:
  SharedArena();
  std::unique_ptr<AlignedBuffer> buffer_;
};

struct SessionOptions {
  // Intra-op threads; 0 means all cores.
  int threads = 0;
  // Execution plans kept per input shape; the least recently used is evicted beyond this.
  size_t plan_cache_capacity = 8;
  // Use the naive reference kernels instead of oneDNN (slow; for tests and debugging).
  bool reference_kernels = false;
  // Run in this block, shared with other sessions that never run at the same time as this one; null:
  // the session has an arena of its own.
  std::shared_ptr<SharedArena> shared_arena = nullptr;
};

// What a plan for one input shape costs, known before it runs.
struct PlanSummary {
  std::vector<Shape> input_shapes;
  std::vector<Shape> output_shapes;
  size_t arena_bytes = 0;    // activations + scratch, one block
  size_t scratch_bytes = 0;  // of which oneDNN scratchpads
  size_t num_steps = 0;      // kernels executed per run
  std::string text;          // human-readable listing: each value's offset, size, lifetime
};

struct SessionStats {
  size_t arena_bytes = 0;     // currently held by the arena the session runs in
  bool arena_shared = false;  // that arena is a SharedArena: count it once among the sessions sharing it
  size_t plans_cached = 0;
  size_t plan_cache_capacity = 0;
  size_t plan_hits = 0;
  size_t plan_misses = 0;
  size_t plan_evictions = 0;
};

// One timed kernel of the last profiled run.
struct NodeProfile {
  std::string node;
  std::string op_type;
  std::string impl;
  Shape output_shape;
  int threads = 1;  // OpenMP threads the step runs on (small steps run on one)
  double ms = 0;
};

class Session {
 public:
  static StatusOr<std::unique_ptr<Session>> Create(std::shared_ptr<const Model> model,
                                                   const SessionOptions& options = {});
  ~Session();

  // Runs the model. `inputs` in model input order, plain row-major float32. On success `outputs` holds
  // views into the session's memory, valid until the next Run, Plan or Trim. Builds (and caches) a plan
  // when the input shapes are new. Fails with a clear error on wrong rank, channel count, absurd sizes;
  // a failure leaves the session usable. The calling thread's OpenMP thread count is the same after the
  // call as before it (the session runs on its own count meanwhile).
  Status Run(const std::vector<TensorView>& inputs, std::vector<TensorView>* outputs);
  // Builds (or finds) the plan for these input shapes without running it.
  StatusOr<PlanSummary> Plan(const std::vector<Shape>& input_shapes);
  // Where the plan for these input shapes keeps input `index` in the session's arena (building the plan
  // and sizing the arena as Run would). A caller that writes the input there and passes this view to Run
  // saves a buffer of its own and the copy. The view is valid until the next Plan, Trim or Run of another
  // shape; a Run overwrites it (write the input again before each Run). FailedPrecondition when the plan
  // keeps no storage for that input.
  StatusOr<TensorView> InputBuffer(const std::vector<Shape>& input_shapes, size_t index);
  // Drops every cached plan and releases the arena (a shared one too: the sessions sharing it take a new
  // block when they next run).
  void Trim();
  SessionStats stats() const;
  // The options the session runs with: those given to Create, with threads 0 replaced by the number of
  // cores.
  const SessionOptions& options() const;
  const Model& model() const;
  // When enabled, each Run records per-node times (slower: synchronises after every kernel).
  void set_profiling(bool on) { profiling_ = on; }
  const std::vector<NodeProfile>& last_profile() const { return profile_; }

  struct State;

 private:
  Session();
  std::unique_ptr<State> state_;
  bool profiling_ = false;
  std::vector<NodeProfile> profile_;
};

// The oneDNN primitive cache capacity plateau sets at first use (see docs/ENGINE.md).
inline constexpr int kOneDnnPrimitiveCacheCapacity = 64;

// Empties oneDNN's process-wide primitive cache (its capacity stays kOneDnnPrimitiveCacheCapacity), so
// that the generated code of primitives no plan holds any more is freed. Plans still cached keep their
// own primitives; later plans build theirs again. Used by trimming (docs/MEMORY.md).
void ReleaseCachedPrimitives();

}  // namespace plateau
