// Test support for the oneDNN kernels: runs a node through CreateKernel/Bind/Execute with inputs given in
// plain layout (converted to NHWC where asked), and compares with the op's reference kernel.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/aligned_buffer.h"
#include "engine/ops/onednn/kernel.h"
#include "engine/ops/reference/op_test_util.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace plateau::ops::onednn::testing {

using ops::testing::Constant;
using ops::testing::Floats;
using ops::testing::Input;
using ops::testing::Int64s;
using ops::testing::MakeNode;
using ops::testing::Omitted;
using ops::testing::RunOp;
using ops::testing::Runtime;
using ops::testing::Values;
using Ints = std::vector<int64_t>;

inline Tensor RandomFloats(const Shape& shape, std::mt19937& rng, float lo = -1.f, float hi = 1.f) {
  Tensor t = std::move(Tensor::Zeros(DType::kFloat32, shape)).value();
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < shape.num_elements(); ++i) t.as<float>()[i] = dist(rng);
  return t;
}

// NCHW <-> NHWC copies of rank-4 float data.
inline void NchwToNhwc(const float* src, float* dst, const Shape& s) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          dst[((a * h + y) * w + x) * c + b] = src[((a * c + b) * h + y) * w + x];
}
inline void NhwcToNchw(const float* src, float* dst, const Shape& s) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          dst[((a * c + b) * h + y) * w + x] = src[((a * h + y) * w + x) * c + b];
}

// NCHW <-> nChw{block}c copies of rank-4 float data whose C is a multiple of `block`.
inline void NchwToBlocked(const float* src, float* dst, const Shape& s, int block) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          dst[(((a * (c / block) + b / block) * h + y) * w + x) * block + b % block] =
              src[((a * c + b) * h + y) * w + x];
}
inline void BlockedToNchw(const float* src, float* dst, const Shape& s, int block) {
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t b = 0; b < c; ++b)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          dst[((a * c + b) * h + y) * w + x] =
              src[(((a * (c / block) + b / block) * h + y) * w + x) * block + b % block];
}

struct RunOptions {
  bool nhwc = false;  // runtime rank-4 float inputs and outputs in NHWC
  int opset = 11;
  int alias_output_to_input = -1;  // bind output 0 to this input's buffer (in place / sum operand)
  // When kBlocked8/kBlocked16: runtime rank-4 float inputs and outputs whose channels are a multiple of
  // the block use it (the others stay NHWC or plain as `nhwc` says).
  graph::Layout blocked = graph::Layout::kPlain;
};

// One engine and stream per test process, owned by a function-local object.
inline dnnl::engine& TestEngine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// A kernel with its buffers, ready to execute.
struct BoundKernel {
  std::unique_ptr<Kernel> kernel;
  std::vector<TensorDesc> in_descs, out_descs;
  std::vector<AlignedBuffer> in_bufs, out_bufs;
  AlignedBuffer scratch;
  std::vector<void*> in_ptrs, out_ptrs;
};

inline graph::Node WithIds(graph::Node node, const std::vector<Input>& inputs, size_t num_outputs) {
  if (node.name.empty()) node.name = "test";
  if (node.inputs.empty()) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      node.inputs.push_back(inputs[i].present ? graph::ValueId{static_cast<int32_t>(i)} : graph::ValueId{});
    }
  }
  node.outputs.clear();
  for (size_t i = 0; i < num_outputs; ++i)
    node.outputs.push_back(graph::ValueId{static_cast<int32_t>(inputs.size() + i)});
  return node;
}

inline bool UsesNhwc(const RunOptions& o, DType dtype, const Shape& shape, bool constant) {
  return o.nhwc && dtype == DType::kFloat32 && shape.rank() == 4 && !constant;
}

inline graph::Layout LayoutFor(const RunOptions& o, DType dtype, const Shape& shape, bool constant) {
  const int block = graph::ChannelBlock(o.blocked);
  if (block > 0 && dtype == DType::kFloat32 && shape.rank() == 4 && !constant && shape[1] % block == 0) {
    return o.blocked;
  }
  return UsesNhwc(o, dtype, shape, constant) ? graph::Layout::kNhwc : graph::Layout::kPlain;
}

// Creates and binds the kernel; output descs come from `out_infos` (dtype, shape).
inline StatusOr<BoundKernel> Prepare(const graph::Node& node, const std::vector<Input>& inputs,
                                     const std::vector<ValueInfo>& out_infos, const RunOptions& o,
                                     WeightStore& store) {
  BoundKernel b;
  for (const Input& in : inputs) {
    TensorDesc d;
    d.present = in.present;
    if (in.present) {
      d.dtype = in.tensor->dtype();
      d.shape = in.tensor->shape();
      d.constant = in.constant ? in.tensor.get() : nullptr;
      d.layout = LayoutFor(o, d.dtype, d.shape, in.constant);
    }
    b.in_descs.push_back(d);
  }
  for (const ValueInfo& info : out_infos) {
    TensorDesc d;
    d.dtype = info.dtype;
    d.shape = info.shape;
    d.layout = LayoutFor(o, d.dtype, d.shape, false);
    b.out_descs.push_back(d);
  }
  KernelContext ctx{&TestEngine(), &store};
  PLATEAU_ASSIGN_OR_RETURN(b.kernel, CreateKernel(node, b.in_descs, b.out_descs, ctx));
  b.in_bufs.resize(inputs.size());
  b.in_ptrs.assign(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].present) continue;
    const Tensor& t = *inputs[i].tensor;
    if (inputs[i].constant) {
      b.in_ptrs[i] = t.data();
      continue;
    }
    b.in_bufs[i].Resize(std::max<size_t>(t.byte_size(), 64));
    if (b.in_descs[i].layout == graph::Layout::kNhwc) {
      NchwToNhwc(t.as<float>(), static_cast<float*>(b.in_bufs[i].data()), t.shape());
    } else if (graph::ChannelBlock(b.in_descs[i].layout) > 0) {
      NchwToBlocked(t.as<float>(), static_cast<float*>(b.in_bufs[i].data()), t.shape(),
                    graph::ChannelBlock(b.in_descs[i].layout));
    } else if (t.byte_size() > 0) {
      std::memcpy(b.in_bufs[i].data(), t.data(), t.byte_size());
    }
    b.in_ptrs[i] = b.in_bufs[i].data();
  }
  b.out_bufs.resize(out_infos.size());
  for (size_t i = 0; i < out_infos.size(); ++i) {
    size_t bytes = static_cast<size_t>(out_infos[i].shape.num_elements()) * DTypeSize(out_infos[i].dtype);
    b.out_bufs[i].Resize(std::max<size_t>(bytes, 64));
    std::memset(b.out_bufs[i].data(), 0xff,
                b.out_bufs[i].size());  // NaN garbage: every element must be written
    b.out_ptrs.push_back(b.out_bufs[i].data());
  }
  if (o.alias_output_to_input >= 0) b.out_ptrs[0] = b.in_ptrs[static_cast<size_t>(o.alias_output_to_input)];
  if (b.kernel->scratch_bytes() > 0) b.scratch.Resize(b.kernel->scratch_bytes());
  b.kernel->Bind(b.in_ptrs, b.out_ptrs, b.kernel->scratch_bytes() > 0 ? b.scratch.data() : nullptr);
  return b;
}

// Output `i` of a bound kernel back in plain layout.
inline Tensor PlainOutput(const BoundKernel& b, size_t i) {
  const TensorDesc& d = b.out_descs[i];
  Tensor t = std::move(Tensor::Zeros(d.dtype, d.shape)).value();
  if (d.layout == graph::Layout::kNhwc) {
    NhwcToNchw(static_cast<const float*>(b.out_ptrs[i]), t.as<float>(), d.shape);
  } else if (graph::ChannelBlock(d.layout) > 0) {
    BlockedToNchw(static_cast<const float*>(b.out_ptrs[i]), t.as<float>(), d.shape,
                  graph::ChannelBlock(d.layout));
  } else if (t.byte_size() > 0) {
    std::memcpy(t.data(), b.out_ptrs[i], t.byte_size());
  }
  return t;
}

struct Comparison {
  std::string impl;
  double max_diff = 0;
  double magnitude = 0;
};

// Runs `node` with the reference kernel and the oneDNN kernel and compares every output: the largest
// absolute difference must be <= tol * max(1, largest reference magnitude).
inline StatusOr<Comparison> CompareWithReference(const graph::Node& node, const std::vector<Input>& inputs,
                                                 const RunOptions& o = {}, size_t num_outputs = 1,
                                                 double tol = 1e-4) {
  PLATEAU_ASSIGN_OR_RETURN(ops::testing::OpRun ref, RunOp(node, inputs, o.opset, num_outputs));
  graph::Node n = WithIds(node, inputs, num_outputs);
  WeightStore store;
  // In-place runs overwrite an input: keep the inputs' own tensors intact by copying them first.
  std::vector<Input> copies;
  for (const Input& in : inputs) {
    if (!in.present) {
      copies.push_back(in);
      continue;
    }
    PLATEAU_ASSIGN_OR_RETURN(Tensor c, in.tensor->Clone());
    copies.push_back(Input{std::make_shared<const Tensor>(std::move(c)), in.constant, true});
  }
  PLATEAU_ASSIGN_OR_RETURN(BoundKernel b, Prepare(n, copies, ref.infos, o, store));
  dnnl::stream stream(TestEngine());
  PLATEAU_RETURN_IF_ERROR(b.kernel->Execute(stream));
  stream.wait();
  Comparison cmp;
  cmp.impl = b.kernel->impl_name();
  for (size_t i = 0; i < num_outputs; ++i) {
    Tensor got = PlainOutput(b, i);
    const Tensor& want = ref.outputs[i];
    if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
      return Status::Internal("output " + std::to_string(i) + " differs in type or shape");
    }
    const int64_t count = want.shape().num_elements();
    for (int64_t j = 0; j < count; ++j) {
      double w = 0, g = 0;
      switch (want.dtype()) {
        case DType::kFloat32:
          w = want.as<float>()[j], g = got.as<float>()[j];
          break;
        case DType::kInt32:
          w = want.as<int32_t>()[j], g = got.as<int32_t>()[j];
          break;
        case DType::kInt64:
          w = static_cast<double>(want.as<int64_t>()[j]), g = static_cast<double>(got.as<int64_t>()[j]);
          break;
        case DType::kUInt8:
          w = want.as<uint8_t>()[j], g = got.as<uint8_t>()[j];
          break;
      }
      double diff = std::isnan(g) != std::isnan(w) ? INFINITY : (std::isnan(g) ? 0.0 : std::fabs(g - w));
      cmp.max_diff = std::max(cmp.max_diff, diff);
      cmp.magnitude = std::max(cmp.magnitude, std::fabs(w));
    }
  }
  if (cmp.max_diff > tol * std::max(1.0, cmp.magnitude)) {
    return Status::Internal("max abs diff " + std::to_string(cmp.max_diff) +
                            " exceeds tolerance at magnitude " + std::to_string(cmp.magnitude) + " (impl " +
                            cmp.impl + ")");
  }
  return cmp;
}

// gtest helper: EXPECT-style check that prints the case description.
#define EXPECT_MATCHES_REFERENCE(expr, what)                                              \
  do {                                                                                    \
    auto plateau_cmp_ = (expr);                                                           \
    EXPECT_TRUE(plateau_cmp_.ok()) << (what) << ": " << plateau_cmp_.status().ToString(); \
  } while (0)

}  // namespace plateau::ops::onednn::testing
