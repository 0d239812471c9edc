// Fast kernels on oneDNN. This folder is the only code that includes dnnl.hpp; dnnl::error never
// leaves it (it becomes a Status naming the node).
//
// A Kernel is created for one node at one concrete shape (while a plan is built), then bound to its
// buffers in a Session's arena and executed many times. Creation may allocate; Bind and Execute must not
// allocate from the heap on the steady-state path.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/graph/graph.h"
#include "plateau/status.h"
#include "plateau/tensor.h"

namespace dnnl {
struct engine;
struct stream;
}  // namespace dnnl

namespace plateau::ops::onednn {

// One input or output of a node as the kernel sees it.
struct TensorDesc {
  DType dtype = DType::kFloat32;
  Shape shape;  // logical (ONNX) shape
  graph::Layout layout = graph::Layout::kPlain;
  const Tensor* constant = nullptr;  // non-null for weights and other plan-time constants
  bool present = true;               // false for an omitted optional input
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Bytes of scratch memory Execute needs (oneDNN's user-mode scratchpad and any staging of our own).
  virtual size_t scratch_bytes() const { return 0; }
  // Points the kernel at its buffers; called after creation and whenever the arena moves. `inputs[i]`
  // is null for omitted inputs; for constant inputs it is the constant's data (kernels that packed the
  // constant at creation ignore it). `scratch` is null when scratch_bytes() is 0.
  virtual void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void* scratch) = 0;
  virtual Status Execute(dnnl::stream& stream) = 0;
  // Short description of the implementation oneDNN chose (e.g. "brgconv:avx512_core"), for profiles.
  virtual std::string impl_name() const { return ""; }
};

// Weights re-laid out for oneDNN, stored once per Model and shared read-only by every Session and
// thread. Keyed by the caller (e.g. node name + layout description); thread-safe.
class WeightStore {
 public:
  // Returns the packed bytes for `key`, creating them with `pack` on first use. `pack` fills a buffer of
  // `bytes` bytes (64-byte aligned).
  template <typename PackFn>
  StatusOr<const void*> GetOrCreate(const std::string& key, size_t bytes, PackFn&& pack);
  size_t bytes() const;
  size_t entries() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Tensor>> packed_;
  size_t bytes_ = 0;
};

struct KernelContext {
  dnnl::engine* engine = nullptr;
  WeightStore* weights = nullptr;
};

// Creates the kernel for `node` at the given shapes and layouts. Unimplemented if the node (op, layout
// or dtype combination) has no oneDNN kernel; other failures name the node.
StatusOr<std::unique_ptr<Kernel>> CreateKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                                               std::span<const TensorDesc> outputs, KernelContext& ctx);

// Whether output 0 may occupy input 0's buffer (element-wise ops), so the planner can run it in place.
bool CanRunInPlace(const graph::Node& node);

// Whether the node's kernel adds a fused residual sum as it writes its output, besides the convolutions
// and MatMuls graph::passes::FuseResidualAdd always fuses into: a Resize on oneDNN's resampling (a
// feature pyramid's upsample-and-add). The plain resize loop does not.
bool FusesResidualSum(const graph::Node& node, std::span<const TensorDesc> inputs, const Shape& out_shape);

// Whether the op accepts kNhwc rank-4 float inputs and produces kNhwc outputs (the layout pass keeps
// such chains in NHWC and inserts plateau.Reorder nodes at their edges).
bool SupportsNhwc(const graph::Node& node, std::span<const TensorDesc> inputs);

// Whether the op accepts rank-4 float inputs in the blocked layout `layout` (kBlocked8 or kBlocked16) and
// produces it, given its inputs' current layouts and its output shapes. Every rank-4 run-time input and
// output must have a multiple of the block as channels. Convolutions always qualify; the rest only follow
// a blocked input.
bool SupportsBlocked(const graph::Node& node, std::span<const TensorDesc> inputs,
                     std::span<const Shape> output_shapes, graph::Layout layout);

// The blocked layout this CPU's convolution kernels work in (nChw16c with AVX-512, nChw8c with AVX/AVX2),
// or kPlain when oneDNN has no blocked convolution for it.
graph::Layout PreferredBlockedLayout();

template <typename PackFn>
StatusOr<const void*> WeightStore::GetOrCreate(const std::string& key, size_t bytes, PackFn&& pack) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = packed_.find(key);
  if (it != packed_.end()) return static_cast<const void*>(it->second->data());
  auto t = Tensor::Zeros(DType::kUInt8, Shape{static_cast<int64_t>(bytes)});
  if (!t.ok()) return t.status();
  auto holder = std::make_shared<Tensor>(std::move(t).value());
  PLATEAU_RETURN_IF_ERROR(pack(holder->data()));
  bytes_ += bytes;
  const void* data = holder->data();
  packed_.emplace(key, std::move(holder));
  return data;
}

}  // namespace plateau::ops::onednn
