#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <new>
#include <system_error>
#include <thread>

#include "common/aligned_buffer.h"
#include "common/lru_cache.h"
#include "engine/graph/passes/passes.h"
#include "engine/model_internals.h"
#include "engine/ops/onednn/kernel.h"
#include "engine/ops/onednn/runtime.h"
#include "engine/ops/op.h"
#include "engine/planner/execution_plan.h"
#include "engine/planner/layout_assignment.h"
#include "engine/planner/specialize.h"
#include "plateau/engine.h"

namespace plateau {
namespace {

constexpr int kMaxInputs = 4;
// Ceiling on a plan's arena when the model sets none: 64 GiB or the machine's memory, whichever is less.
size_t DefaultArenaCeiling() {
  size_t ceiling = 64ull << 30;
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) ceiling = std::min(ceiling, static_cast<size_t>(pages) * page);
  return ceiling;
}

// The session sets OpenMP's thread count on the calling thread (kernels are created and run under the
// session's count); the caller's own count is put back when the call returns, whatever its outcome, so
// that a Run leaves the thread as it found it.
class RestoreOmpThreadsOnExit {
 public:
  RestoreOmpThreadsOnExit() : saved_(omp_get_max_threads()) {}
  ~RestoreOmpThreadsOnExit() { omp_set_num_threads(saved_); }
  RestoreOmpThreadsOnExit(const RestoreOmpThreadsOnExit&) = delete;
  RestoreOmpThreadsOnExit& operator=(const RestoreOmpThreadsOnExit&) = delete;

 private:
  int saved_;
};

// Input shapes, stored inline so that looking a plan up allocates nothing.
struct PlanKey {
  int n = 0;
  std::array<Shape, kMaxInputs> shapes;
  bool operator==(const PlanKey& o) const {
    if (n != o.n) return false;
    for (int i = 0; i < n; ++i) {
      if (shapes[i] != o.shapes[i]) return false;
    }
    return true;
  }
};

struct PlanKeyHash {
  size_t operator()(const PlanKey& k) const {
    size_t h = static_cast<size_t>(k.n);
    for (int i = 0; i < k.n; ++i) h = h * 1000003u ^ k.shapes[i].Hash();
    return h;
  }
};

// Below this estimated single-thread time a step runs on one thread: waking a second thread for a few
// microseconds of work costs more than it saves, and with the cores busy a parallel region waits for a
// descheduled thread at every barrier, so a model made of many small steps (cls) can take hundreds of
// times longer on two threads than on one (docs/BENCHMARKS.md, "Engine: figures behind kernel choices").
constexpr double kParallelMinNanos = 50e3;

// A rough single-thread time for a node: convolutions and matrix products by their multiply-adds at
// about 50 GFLOPS, everything else by the elements it reads and writes at about 2 per nanosecond.
double EstimatedNanos(const graph::Graph& g, const graph::Node& n) {
  double in_elements = 0, out_elements = 0;
  for (graph::ValueId v : n.inputs) {
    if (v.valid() && !g.value(v).constant)
      in_elements += static_cast<double>(g.value(v).shape.num_elements());
  }
  for (graph::ValueId v : n.outputs) {
    if (v.valid()) out_elements += static_cast<double>(g.value(v).shape.num_elements());
  }
  const bool conv = n.op_type == "Conv", deconv = n.op_type == "ConvTranspose";
  if ((conv || deconv) && n.inputs.size() >= 2 && n.inputs[1].valid()) {
    const Shape& w = g.value(n.inputs[1]).shape;  // Conv [oc, ic/g, k...], ConvTranspose [ic, oc/g, k...]
    double per = w.rank() >= 2 ? static_cast<double>(w[1]) : 1;
    for (int i = 2; i < w.rank(); ++i) per *= static_cast<double>(w[i]);
    return 2 * per * (conv ? out_elements : in_elements) / 50;
  }
  if ((n.op_type == "MatMul" || n.op_type == "Gemm") && !n.inputs.empty() && n.inputs[0].valid()) {
    const Shape& a = g.value(n.inputs[0]).shape;
    const double k = a.rank() > 0 ? static_cast<double>(a[a.rank() - 1]) : 1;
    return 2 * k * out_elements / 50;
  }
  return (in_elements + out_elements) / 2;
}

}  // namespace

// A plan together with the kernels created for it, bound to the session's arena.
class PreparedPlan {
 public:
  planner::ExecutionPlan plan;
  // One per step; null for view steps and in reference mode.
  std::vector<std::unique_ptr<ops::onednn::Kernel>> kernels;
  std::vector<const ops::OpDef*> defs;  // reference mode
  // OpenMP threads each step's kernel was created for and runs with (see StepThreads).
  std::vector<int> threads;
  // Pointers handed to the kernels (reused across rebinding).
  std::vector<std::vector<void*>> in_ptrs, out_ptrs;
  std::vector<std::vector<TensorView>> in_views, out_views;  // reference mode
  void* bound_base = nullptr;
  size_t bound_size = 0;

  std::vector<Shape> output_shapes() const {
    std::vector<Shape> shapes;
    for (graph::ValueId out : plan.graph().outputs()) shapes.push_back(plan.graph().value(out).shape);
    return shapes;
  }
};

struct Session::State {
  std::shared_ptr<const Model> model;
  SessionOptions options;
  LruCache<PlanKey, std::unique_ptr<PreparedPlan>, PlanKeyHash> cache;
  // The session's own arena, or the SharedArena of SessionOptions::shared_arena.
  std::shared_ptr<SharedArena> arena_holder;
  AlignedBuffer& arena() const { return arena_holder->buffer(); }
  std::unique_ptr<ops::onednn::OneDnnRuntime> runtime;
  size_t arena_ceiling = 0;

  explicit State(size_t capacity) : cache(capacity) {}

  StatusOr<std::unique_ptr<PreparedPlan>> Build(const PlanKey& key);
  StatusOr<PreparedPlan*> FindOrBuild(const PlanKey& key);
  Status EnsureArena(PreparedPlan& p);
  void Bind(PreparedPlan& p);
};

namespace {

// The key of these shapes; the caller has checked that there are at most kMaxInputs.
PlanKey KeyFor(const std::vector<Shape>& input_shapes) {
  PlanKey key;
  key.n = static_cast<int>(input_shapes.size());
  for (size_t i = 0; i < input_shapes.size(); ++i) key.shapes[i] = input_shapes[i];
  return key;
}

std::string KeyString(const PlanKey& key) {
  std::string s;
  for (int i = 0; i < key.n; ++i) s += (i ? ", " : "") + key.shapes[i].ToString();
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<PreparedPlan>> Session::State::Build(const PlanKey& key) {
  const bool reference = options.reference_kernels;
  graph::Graph g = model->graph().Clone();
  std::span<const Shape> shapes(key.shapes.data(), key.n);
  PLATEAU_RETURN_IF_ERROR(planner::SpecializeShapes(g, shapes));
  if (!reference) {
    auto fuses_sum = [](const graph::Graph& sg, graph::NodeId id) {
      const graph::Node& n = sg.node(id);
      if (n.outputs.empty() || !n.outputs[0].valid()) return false;
      std::vector<ops::onednn::TensorDesc> ins;
      for (graph::ValueId in : n.inputs) ins.push_back(planner::DescribeValue(sg, in));
      return ops::onednn::FusesResidualSum(n, ins, sg.value(n.outputs[0]).shape);
    };
    PLATEAU_RETURN_IF_ERROR(graph::passes::OptimizeForShapes(g, fuses_sum));
  }
  PLATEAU_RETURN_IF_ERROR(planner::AssignLayouts(g, !reference, ops::onednn::PreferredBlockedLayout()));
  PLATEAU_ASSIGN_OR_RETURN(std::vector<graph::NodeId> order, g.TopologicalOrder());

  std::vector<planner::StepRequest> requests;
  requests.reserve(order.size());
  for (graph::NodeId id : order) {
    const graph::Node& n = g.node(id);
    const ops::OpDef* def = ops::FindOp(n.op_type);
    if (def == nullptr) return Status::Internal("no op definition for " + n.Describe());
    planner::StepRequest r;
    r.node = id;
    r.is_view = def->is_view;
    requests.push_back(r);
  }
  // Check the memory bill before creating any kernel, so absurd shapes fail fast and cheaply.
  {
    auto trial = planner::ExecutionPlan::Build(g, requests, arena_ceiling);
    if (!trial.ok()) return trial.status();
  }

  auto prepared = std::make_unique<PreparedPlan>();
  prepared->kernels.resize(order.size());
  prepared->defs.resize(order.size());
  prepared->threads.assign(order.size(), std::max(options.threads, 1));
  if (!reference) {
    ops::onednn::KernelContext ctx;
    ctx.engine = &runtime->engine();
    ctx.weights = &model->internals().weights;
    // Creating a kernel is mostly oneDNN generating its machine code, independent from node to node, so
    // the kernels are created on as many threads as the session runs with: a new shape's first run costs
    // that much less. oneDNN's primitive creation and the weight store are thread-safe. Plain threads,
    // not an OpenMP region: oneDNN sizes a primitive's work split by the OpenMP thread count of the
    // creating thread (one inside a parallel region), so each creator sets the session's count first. An
    // exception (an allocation failing inside oneDNN) is carried back and rethrown for FindOrBuild.
    std::vector<size_t> work;
    for (size_t s = 0; s < order.size(); ++s) {
      if (!requests[s].is_view) work.push_back(s);
    }
    std::vector<Status> failures(order.size());
    std::vector<std::exception_ptr> thrown(order.size());
    std::atomic<size_t> next{0};
    for (size_t s : work) {
      prepared->threads[s] =
          EstimatedNanos(g, g.node(order[s])) < kParallelMinNanos ? 1 : std::max(options.threads, 1);
    }
    auto create = [&] {
      for (size_t w = next++; w < work.size(); w = next++) {
        const size_t s = work[w];
        omp_set_num_threads(prepared->threads[s]);
        try {
          const graph::Node& n = g.node(order[s]);
          std::vector<ops::onednn::TensorDesc> ins, outs;
          for (graph::ValueId in : n.inputs) ins.push_back(planner::DescribeValue(g, in));
          for (graph::ValueId out : n.outputs) outs.push_back(planner::DescribeValue(g, out));
          auto kernel = ops::onednn::CreateKernel(n, ins, outs, ctx);
          if (kernel.ok()) {
            prepared->kernels[s] = std::move(kernel).value();
          } else {
            failures[s] = kernel.status();
          }
        } catch (...) {
          thrown[s] = std::current_exception();
        }
      }
    };
    const size_t helpers = std::min<size_t>(std::max(options.threads, 1) - 1, work.size() / 8);
    std::vector<std::thread> pool;
    for (size_t i = 0; i < helpers; ++i) {
      try {
        pool.emplace_back(create);
      } catch (const std::system_error&) {
        break;  // no thread to be had: the calling thread creates the rest
      }
    }
    create();
    for (std::thread& t : pool) t.join();
    for (size_t s : work) {
      if (thrown[s]) std::rethrow_exception(thrown[s]);
      if (!failures[s].ok()) return failures[s];
    }
    for (size_t s : work) {
      const graph::Node& n = g.node(order[s]);
      requests[s].scratch_bytes = prepared->kernels[s]->scratch_bytes();
      if (ops::onednn::CanRunInPlace(n)) requests[s].in_place_inputs.push_back(0);
      for (const graph::PostOp& p : n.post_ops) {
        if (p.kind != graph::PostOp::Kind::kSum) continue;
        for (size_t i = 0; i < n.inputs.size(); ++i) {
          if (n.inputs[i] == p.operand) requests[s].in_place_inputs.push_back(static_cast<int>(i));
        }
      }
    }
  } else {
    for (size_t s = 0; s < order.size(); ++s) {
      prepared->defs[s] = ops::FindOp(g.node(order[s]).op_type);
      if (!requests[s].is_view && prepared->defs[s]->reference == nullptr) {
        return Status::Unimplemented("no reference kernel for " + g.node(order[s]).Describe());
      }
    }
  }
  PLATEAU_ASSIGN_OR_RETURN(prepared->plan,
                           planner::ExecutionPlan::Build(std::move(g), std::move(requests), arena_ceiling));
  const auto& steps = prepared->plan.steps();
  prepared->in_ptrs.resize(steps.size());
  prepared->out_ptrs.resize(steps.size());
  prepared->in_views.resize(steps.size());
  prepared->out_views.resize(steps.size());
  for (size_t s = 0; s < steps.size(); ++s) {
    const graph::Node& n = prepared->plan.graph().node(steps[s].node);
    prepared->in_ptrs[s].resize(n.inputs.size());
    prepared->out_ptrs[s].resize(n.outputs.size());
    prepared->in_views[s].resize(n.inputs.size());
    prepared->out_views[s].resize(n.outputs.size());
  }
  return prepared;
}

void Session::State::Bind(PreparedPlan& p) {
  char* base = static_cast<char*>(arena().data());
  const graph::Graph& g = p.plan.graph();
  auto pointer = [&](graph::ValueId id) -> void* {
    if (!id.valid()) return nullptr;
    const graph::Value& v = g.value(id);
    if (v.constant) return v.constant->data();
    const planner::PlannedValue& pv = p.plan.value(id);
    return pv.has_storage ? base + pv.offset : nullptr;
  };
  const auto& steps = p.plan.steps();
  for (size_t s = 0; s < steps.size(); ++s) {
    if (steps[s].is_view) continue;
    const graph::Node& n = g.node(steps[s].node);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      p.in_ptrs[s][i] = pointer(n.inputs[i]);
      if (n.inputs[i].valid()) {
        const graph::Value& v = g.value(n.inputs[i]);
        p.in_views[s][i] = TensorView{v.dtype, v.shape, p.in_ptrs[s][i]};
      }
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      p.out_ptrs[s][i] = pointer(n.outputs[i]);
      if (n.outputs[i].valid()) {
        const graph::Value& v = g.value(n.outputs[i]);
        p.out_views[s][i] = TensorView{v.dtype, v.shape, p.out_ptrs[s][i]};
      }
    }
    if (p.kernels[s]) {
      void* scratch = steps[s].scratch_bytes > 0 ? base + steps[s].scratch_offset : nullptr;
      p.kernels[s]->Bind(p.in_ptrs[s], p.out_ptrs[s], scratch);
    }
  }
  p.bound_base = arena().data();
  p.bound_size = arena().size();
}

Status Session::State::EnsureArena(PreparedPlan& p) {
  size_t need = p.plan.arena_bytes();
  if (arena().size() < need) {
    // Grow once to the largest cached plan rather than step by step: every freed intermediate block is
    // memory the allocator may keep resident (glibc raises its mmap threshold after such frees).
    cache.ForEach([&](const PlanKey&, const std::unique_ptr<PreparedPlan>& cached) {
      need = std::max(need, cached->plan.arena_bytes());
    });
    if (!arena().Resize(need)) {
      return Status::ResourceExhausted("could not allocate an arena of " + std::to_string(need) + " bytes");
    }
  }
  // A shared arena may have been grown or released by another session since this plan was bound.
  if (p.bound_base != arena().data() || p.bound_size != arena().size() || p.bound_base == nullptr) Bind(p);
  return Status::Ok();
}

StatusOr<PreparedPlan*> Session::State::FindOrBuild(const PlanKey& key) {
  if (std::unique_ptr<PreparedPlan>* hit = cache.Find(key)) return hit->get();
  // oneDNN's jit kernels fix their thread count when the primitive is created (from OpenMP's current
  // maximum) and open parallel regions of that size whatever the caller sets later: a primitive created
  // under the process default would run on every core in a 1-thread session, and one created after a
  // 1-thread session ran on this OS thread would never use a second core.
  omp_set_num_threads(options.threads);
  StatusOr<std::unique_ptr<PreparedPlan>> built = Status::Internal("not built");
  try {
    built = Build(key);
  } catch (const std::exception& e) {
    // An allocation failing inside oneDNN's primitive creation leaves a broken entry in its process-wide
    // primitive cache (a promise never fulfilled), which would fail every later creation of the same
    // primitive; emptying the cache removes it.
    ReleaseCachedPrimitives();
    const bool oom = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
    built = oom ? Status::ResourceExhausted("out of memory") : Status::Internal(e.what());
  }
  if (!built.ok()) {
    return built.status().WithContext("planning " + model->path() + " for input shape " + KeyString(key));
  }
  // Evicting a plan leaves the arena as it is: it stays at its high-water mark until Trim.
  // Shrinking it with the cache made RSS follow the size of every input (glibc hands a large block back
  // at once and maps it again for the next large input); holding it makes RSS rise once and stay.
  std::unique_ptr<PreparedPlan>* stored_ptr = nullptr;
  try {
    stored_ptr = &cache.Insert(key, std::move(built).value());
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory caching the plan for " + KeyString(key));
  }
  return stored_ptr->get();
}

SharedArena::SharedArena() : buffer_(std::make_unique<AlignedBuffer>()) {}
SharedArena::~SharedArena() = default;
std::shared_ptr<SharedArena> SharedArena::Create() { return std::shared_ptr<SharedArena>(new SharedArena()); }
size_t SharedArena::bytes() const { return buffer_->size(); }

Session::Session() = default;
Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Model> model,
                                                   const SessionOptions& options) {
  if (model == nullptr) return Status::InvalidArgument("Session::Create: model is null");
  if (options.plan_cache_capacity == 0) {
    return Status::InvalidArgument("plan_cache_capacity must be at least 1");
  }
  if (options.threads < 0) {
    return Status::InvalidArgument("threads must be >= 0 (0 = all cores), got " +
                                   std::to_string(options.threads));
  }
  std::unique_ptr<Session> session(new Session());
  session->state_ = std::make_unique<State>(options.plan_cache_capacity);
  State& st = *session->state_;
  st.model = std::move(model);
  st.options = options;
  st.arena_holder = options.shared_arena != nullptr ? options.shared_arena : SharedArena::Create();
  if (st.options.threads == 0) st.options.threads = omp_get_num_procs();
  st.arena_ceiling =
      st.model->options().max_arena_bytes > 0 ? st.model->options().max_arena_bytes : DefaultArenaCeiling();
  PLATEAU_ASSIGN_OR_RETURN(st.runtime, ops::onednn::OneDnnRuntime::Create());
  return session;
}

Status Session::Run(const std::vector<TensorView>& inputs, std::vector<TensorView>* outputs) {
  State& st = *state_;
  const graph::Graph& mg = st.model->graph();
  if (inputs.size() != mg.inputs().size()) {
    return Status::InvalidArgument(st.model->path() + ": model takes " + std::to_string(mg.inputs().size()) +
                                   " inputs, got " + std::to_string(inputs.size()));
  }
  if (inputs.size() > kMaxInputs) {
    return Status::Unimplemented("models with more than " + std::to_string(kMaxInputs) +
                                 " inputs are not supported");
  }
  PlanKey key;
  key.n = static_cast<int>(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const graph::Value& decl = mg.value(mg.inputs()[i]);
    if (inputs[i].dtype != decl.dtype) {
      return Status::InvalidArgument("input '" + decl.name + "' must be " + DTypeName(decl.dtype) + ", got " +
                                     DTypeName(inputs[i].dtype));
    }
    if (inputs[i].data == nullptr && inputs[i].shape.num_elements() > 0) {
      return Status::InvalidArgument("input '" + decl.name + "' has no data");
    }
    key.shapes[i] = inputs[i].shape;
  }
  const RestoreOmpThreadsOnExit restore_omp_threads;
  PLATEAU_ASSIGN_OR_RETURN(PreparedPlan * p, st.FindOrBuild(key));
  PLATEAU_RETURN_IF_ERROR(st.EnsureArena(*p));

  const graph::Graph& g = p->plan.graph();
  char* base = static_cast<char*>(st.arena().data());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const planner::PlannedValue& pv = p->plan.value(g.inputs()[i]);
    // An input written in place (InputBuffer) is already there.
    if (pv.has_storage && inputs[i].data != base + pv.offset) {
      std::memcpy(base + pv.offset, inputs[i].data, inputs[i].byte_size());
    }
  }

  const auto& steps = p->plan.steps();
  int threads = -1;
  if (profiling_) profile_.clear();
  for (size_t s = 0; s < steps.size(); ++s) {
    if (steps[s].is_view) continue;
    auto t0 = profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    Status status;
    if (p->threads[s] != threads) {
      threads = p->threads[s];
      omp_set_num_threads(threads);
    }
    if (p->kernels[s]) {
      status = p->kernels[s]->Execute(st.runtime->stream());
      if (status.ok() && profiling_) status = st.runtime->Wait();
    } else {
      status = p->defs[s]->reference(g.node(steps[s].node), p->in_views[s], p->out_views[s]);
    }
    if (!status.ok()) return status.WithContext("running " + g.node(steps[s].node).Describe());
    if (profiling_) {
      const graph::Node& n = g.node(steps[s].node);
      NodeProfile np;
      np.node = n.name;
      np.op_type = n.op_type;
      np.impl = p->kernels[s] ? p->kernels[s]->impl_name() : "reference";
      np.threads = p->threads[s];
      if (!n.outputs.empty() && n.outputs[0].valid()) np.output_shape = g.value(n.outputs[0]).shape;
      np.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      profile_.push_back(std::move(np));
    }
  }
  PLATEAU_RETURN_IF_ERROR(st.runtime->Wait());

  outputs->clear();
  for (graph::ValueId out : g.outputs()) {
    const graph::Value& v = g.value(out);
    const planner::PlannedValue& pv = p->plan.value(out);
    outputs->push_back(TensorView{v.dtype, v.shape, base + pv.offset});
  }
  return Status::Ok();
}

StatusOr<PlanSummary> Session::Plan(const std::vector<Shape>& input_shapes) {
  State& st = *state_;
  if (input_shapes.size() > kMaxInputs) {
    return Status::Unimplemented("models with more than " + std::to_string(kMaxInputs) +
                                 " inputs are not supported");
  }
  const PlanKey key = KeyFor(input_shapes);
  const RestoreOmpThreadsOnExit restore_omp_threads;
  PLATEAU_ASSIGN_OR_RETURN(PreparedPlan * p, st.FindOrBuild(key));
  PlanSummary summary;
  summary.input_shapes = input_shapes;
  summary.output_shapes = p->output_shapes();
  summary.arena_bytes = p->plan.arena_bytes();
  summary.scratch_bytes = p->plan.scratch_bytes();
  for (const auto& s : p->plan.steps()) summary.num_steps += s.is_view ? 0 : 1;
  summary.text = p->plan.ToString();
  return summary;
}

StatusOr<TensorView> Session::InputBuffer(const std::vector<Shape>& input_shapes, size_t index) {
  State& st = *state_;
  const graph::Graph& mg = st.model->graph();
  if (input_shapes.size() != mg.inputs().size() || input_shapes.size() > kMaxInputs) {
    return Status::InvalidArgument(st.model->path() + ": model takes " + std::to_string(mg.inputs().size()) +
                                   " inputs, got " + std::to_string(input_shapes.size()) + " shapes");
  }
  if (index >= input_shapes.size()) {
    return Status::InvalidArgument(st.model->path() + ": no input " + std::to_string(index) + " among " +
                                   std::to_string(input_shapes.size()));
  }
  const PlanKey key = KeyFor(input_shapes);
  const RestoreOmpThreadsOnExit restore_omp_threads;
  PLATEAU_ASSIGN_OR_RETURN(PreparedPlan * p, st.FindOrBuild(key));
  PLATEAU_RETURN_IF_ERROR(st.EnsureArena(*p));
  const graph::Graph& g = p->plan.graph();
  const planner::PlannedValue& pv = p->plan.value(g.inputs()[index]);
  const graph::Value& v = g.value(g.inputs()[index]);
  if (!pv.has_storage) {
    return Status::FailedPrecondition(st.model->path() + ": the plan for " + KeyString(key) +
                                      " keeps no storage for input '" + v.name + "'");
  }
  return TensorView{v.dtype, v.shape, static_cast<char*>(st.arena().data()) + pv.offset};
}

void Session::Trim() {
  state_->cache.Clear();
  state_->arena().Release();
}

const Model& Session::model() const { return *state_->model; }

const SessionOptions& Session::options() const { return state_->options; }

SessionStats Session::stats() const {
  const State& st = *state_;
  SessionStats s;
  s.arena_bytes = st.arena().size();
  s.arena_shared = st.options.shared_arena != nullptr;
  s.plans_cached = st.cache.size();
  s.plan_cache_capacity = st.cache.capacity();
  s.plan_hits = st.cache.stats().hits;
  s.plan_misses = st.cache.stats().misses;
  s.plan_evictions = st.cache.stats().evictions;
  return s;
}

}  // namespace plateau
