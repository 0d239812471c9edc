// Internal to src/engine/ops/onednn: the building blocks every oneDNN-backed kernel is made of.
//
// A PrimitiveKernel is a list of steps (oneDNN primitives with their argument arrays, built once at
// creation) over dnnl::memory objects whose data pointers come from the kernel's input, output or scratch
// buffers. Bind() only calls set_data_handle; Execute() only calls dnnl_primitive_execute with the
// pre-built arrays, so neither allocates on our side.
//
// Creation functions (Create*Kernel below) may throw dnnl::error; CreateKernel catches it and turns it
// into a Status naming the node.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/ops/onednn/kernel.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace plateau::ops::onednn {

// Data type of `dtype` in oneDNN; data_type::undef when oneDNN has none (int64).
dnnl::memory::data_type ToDnnl(DType dtype);

// Row-major strides of `dims`.
dnnl::memory::dims PlainStrides(const dnnl::memory::dims& dims);
// Dims of `shape` for oneDNN (rank 0 becomes {1}).
dnnl::memory::dims DimsOf(const Shape& shape);
// Memory descriptor of `desc` in its layout: row-major, or nhwc for kNhwc.
dnnl::memory::desc MdOf(const TensorDesc& desc);
// Memory descriptor of `dims` (logical order) in `layout`; kNhwc needs rank 4.
dnnl::memory::desc MdOf(const dnnl::memory::dims& dims, dnnl::memory::data_type type, graph::Layout layout);
// A 1-D descriptor covering `elements` elements: element-wise work on any dense layout.
dnnl::memory::desc FlatMd(int64_t elements, dnnl::memory::data_type type);
// A stable text form of a descriptor's dims and blocking, used in WeightStore keys.
std::string DescribeMd(const dnnl::memory::desc& md);

// Where a memory object's data comes from.
enum class BufferRole : uint8_t {
  kInput,    // inputs[index] of Bind (+ offset)
  kOutput,   // outputs[index] of Bind (+ offset)
  kScratch,  // scratch + offset (staging of our own)
  kFixed,    // set once at creation (packed weights, constants)
};

class PrimitiveKernel : public Kernel {
 public:
  PrimitiveKernel(const graph::Node& node, const dnnl::engine& engine);

  size_t scratch_bytes() const override;
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void* scratch) override;
  Status Execute(dnnl::stream& stream) override;
  std::string impl_name() const override { return impl_name_; }

  // --- building (creation time only) ---

  const dnnl::engine& engine() const { return engine_; }
  // A memory object for `md` bound by `role`. For kInput, `initial` (typically a constant's data) is used
  // until Bind supplies a non-null pointer.
  dnnl::memory AddMemory(const dnnl::memory::desc& md, BufferRole role, int index, size_t offset = 0,
                         const void* initial = nullptr);
  // Reserves `bytes` of scratch for staging; returns its offset within the scratch buffer.
  size_t ReserveStaging(size_t bytes);
  // Appends a step. `pd` must have been created with scratchpad_mode::user; a scratchpad argument is
  // added when it needs one.
  void AddStep(const dnnl::primitive_desc_base& pd, const dnnl::primitive& prim,
               std::initializer_list<std::pair<int, dnnl::memory>> args);
  // Adds one more argument to the last step (for variadic primitives such as concat).
  void AddStepArg(int arg, const dnnl::memory& mem);
  // Before the steps run, copies input `input_index` (`bytes` bytes) into output 0 unless both are bound to
  // the same buffer: the operand of a fused sum post-op.
  void SetSumOperandCopy(int input_index, size_t bytes);
  void set_impl_name(std::string name) { impl_name_ = std::move(name); }
  const std::string& node_description() const { return node_description_; }

 private:
  struct Binding {
    dnnl::memory memory;
    BufferRole role;
    int index;
    size_t offset;
  };
  struct Step {
    dnnl::primitive primitive;
    std::vector<dnnl_exec_arg_t> args;
  };

  dnnl::engine engine_;
  std::string node_description_;
  std::string impl_name_;
  std::vector<Binding> bindings_;
  std::vector<Step> steps_;
  size_t staging_bytes_ = 0;
  size_t scratchpad_bytes_ = 0;
  int sum_input_ = -1;
  size_t sum_bytes_ = 0;
  const void* sum_src_ = nullptr;
  void* sum_dst_ = nullptr;
};

// One oneDNN eltwise entry.
struct EltwiseEntry {
  dnnl::algorithm alg;
  float alpha = 0.f;
  float beta = 0.f;
};

// node.post_ops split into what the primitive fuses and what runs after it as separate steps.
struct FusedPostOps {
  dnnl::post_ops ops;
  int sum_input = -1;        // index in node.inputs of the fused kSum operand, -1 if none
  size_t first_unfused = 0;  // node.post_ops[first_unfused..] go to AppendPostOpSteps
};
// Builds the fused chain, after `prefix` entries of the kernel's own. Consecutive linears are merged.
// oneDNN 2.6's jit:avx2 convolution (nhwc) computes wrong results when one chain holds the same
// parametrised eltwise (linear, clip, ...) twice with different parameters, so the chain stops before
// such a repeat. Unimplemented when a kSum would fall after the stop, or for more than one kSum.
StatusOr<FusedPostOps> FusePostOps(const graph::Node& node, std::span<const EltwiseEntry> prefix = {});

// Appends one in-place step per post-op node.post_ops[first..] on output 0 (`out`), after the steps
// already added: for ops whose primitive does not fuse them.
Status AppendPostOpSteps(const graph::Node& node, std::span<const TensorDesc> inputs, const TensorDesc& out,
                         PrimitiveKernel* kernel, size_t first = 0);

// Wires a native sum post-op: checks the operand matches output 0 and arranges the copy into dst.
Status PrepareSumOperand(const graph::Node& node, int sum_input, std::span<const TensorDesc> inputs,
                         const TensorDesc& out, PrimitiveKernel* kernel);

// Re-lays constant weights (`src` described by `src_md`) into `dst_md` once per WeightStore, followed (at
// offset PackedBiasOffset(dst_md)) by `bias_bytes` bytes copied from `bias`. Returns the packed block.
// `identity` (the original constant's data) keys the entry together with the node name and dst_md.
StatusOr<const void*> PackWeights(KernelContext& ctx, const graph::Node& node, const void* identity,
                                  const dnnl::memory::desc& src_md, const void* src,
                                  const dnnl::memory::desc& dst_md, const void* bias, size_t bias_bytes);
size_t PackedBiasOffset(const dnnl::memory::desc& dst_md);

// The sliding window of a Conv or pooling node over the spatial dims (everything after N and C).
struct Window {
  dnnl::memory::dims kernel, strides, dilations, pad_l, pad_r;  // dilations as oneDNN counts them (onnx - 1)
};
// Reads strides, dilations, pads and auto_pad for a window of size `kernel` mapping input spatial dims
// `in` to output `out` (both full NCHW-order shapes). pad_r is raised where the output is larger than the
// pads alone give (ceil_mode); anything else inconsistent is InvalidArgument.
StatusOr<Window> ReadWindow(const graph::Node& node, const Shape& in, const Shape& out,
                            const dnnl::memory::dims& kernel);

// Attributes every primitive here uses: user scratchpad, plus `ops` when given.
dnnl::primitive_attr MakeAttr(const dnnl::post_ops* ops = nullptr);

// --- per-family creation functions (each in its own .cc) ---
using KernelOr = StatusOr<std::unique_ptr<Kernel>>;
#define PLATEAU_ONEDNN_CREATE_FN(name)                                       \
  KernelOr name(const graph::Node& node, std::span<const TensorDesc> inputs, \
                std::span<const TensorDesc> outputs, KernelContext& ctx)
PLATEAU_ONEDNN_CREATE_FN(CreateConvKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateConvTransposeKernel);
PLATEAU_ONEDNN_CREATE_FN(CreatePoolingKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateEltwiseKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateBinaryKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateMatMulKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateGemmKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateSoftmaxKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateResizeKernel);
// Whether CreateResizeKernel would use oneDNN's resampling (which takes every layout) for this node.
bool ResizeRunsOnOneDnn(const graph::Node& node, std::span<const TensorDesc> inputs, const Shape& out_shape);
PLATEAU_ONEDNN_CREATE_FN(CreateConcatKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateTransposeKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateReorderKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateLayerNormKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateBatchNormKernel);
PLATEAU_ONEDNN_CREATE_FN(CreateReduceKernel);
PLATEAU_ONEDNN_CREATE_FN(CreatePlainKernel);  // Slice, Cast, Gather, Shape, Constant, copies

// Inputs of the op itself: node.inputs without the trailing operands of fused sum post-ops (the fusion
// pass appends them).
size_t OwnInputCount(const graph::Node& node);

// Checks shared by creation functions; errors name the node. ExpectInputs counts own inputs only.
Status ExpectInputs(const graph::Node& node, std::span<const TensorDesc> inputs, size_t min, size_t max);
Status ExpectFloat(const graph::Node& node, const TensorDesc& desc, const char* what);
// Normalises a possibly negative axis into [0, rank).
StatusOr<int> NormalizeAxis(const graph::Node& node, int64_t axis, int rank);
// Reads a constant int32/int64 tensor as int64 values.
StatusOr<std::vector<int64_t>> ConstantInts(const graph::Node& node, const TensorDesc& desc,
                                            const char* what);
// Reads a constant float tensor (or a scalar) as floats.
StatusOr<std::vector<float>> ConstantFloats(const graph::Node& node, const TensorDesc& desc,
                                            const char* what);

}  // namespace plateau::ops::onednn
