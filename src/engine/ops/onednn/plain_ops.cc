// Kernels that need no oneDNN: data movement on plain layouts (Slice, Gather, copies of view ops), type
// conversion (Cast), and ops whose output is known at creation (Shape, Constant). Everything is planned
// at creation, so Execute is loops and memcpy.

#include <cstring>
#include <string>
#include <variant>

#include "engine/ops/onednn/primitive_kernel.h"
#include "engine/ops/op.h"

namespace plateau::ops::onednn {

namespace {

Status ExpectPlainLayouts(const graph::Node& node, std::span<const TensorDesc> inputs,
                          std::span<const TensorDesc> outputs) {
  for (const TensorDesc& d : inputs) {
    if (d.present && d.layout != graph::Layout::kPlain) {
      return Status::Unimplemented(node.Describe() + ": needs plain layouts");
    }
  }
  for (const TensorDesc& d : outputs) {
    if (d.layout != graph::Layout::kPlain)
      return Status::Unimplemented(node.Describe() + ": needs plain layouts");
  }
  return Status::Ok();
}

// Output 0 gets input 0's bytes (a view op the planner could not alias, e.g. a graph output).
class CopyKernel : public Kernel {
 public:
  explicit CopyKernel(size_t bytes) : bytes_(bytes) {}
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    src_ = inputs[0];
    dst_ = outputs[0];
  }
  Status Execute(dnnl::stream&) override {
    if (src_ != dst_) std::memcpy(dst_, src_, bytes_);
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:copy"; }

 private:
  size_t bytes_;
  const void* src_ = nullptr;
  void* dst_ = nullptr;
};

// Output 0 is fixed bytes computed at creation (Shape, Constant).
class FixedKernel : public Kernel {
 public:
  FixedKernel(const void* data, size_t bytes, std::string name)
      : bytes_(static_cast<const char*>(data), static_cast<const char*>(data) + bytes),
        name_(std::move(name)) {}
  void Bind(std::span<void* const>, std::span<void* const> outputs, void*) override { dst_ = outputs[0]; }
  Status Execute(dnnl::stream&) override {
    if (!bytes_.empty()) std::memcpy(dst_, bytes_.data(), bytes_.size());
    return Status::Ok();
  }
  std::string impl_name() const override { return name_; }

 private:
  std::vector<char> bytes_;
  std::string name_;
  void* dst_ = nullptr;
};

// A strided box of the input: per dim a start and a step (in elements), the output dims.
class SliceKernel : public Kernel {
 public:
  SliceKernel(const Shape& in, const Shape& out, std::vector<int64_t> starts, std::vector<int64_t> steps,
              size_t elem)
      : out_(out), starts_(std::move(starts)), steps_(std::move(steps)), elem_(elem) {
    in_strides_.assign(static_cast<size_t>(in.rank()), 1);
    for (int i = in.rank() - 1; i > 0; --i) in_strides_[i - 1] = in_strides_[i] * in[i];
    base_ = 0;
    for (int i = 0; i < in.rank(); ++i) base_ += starts_[i] * in_strides_[i];
  }
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    src_ = static_cast<const char*>(inputs[0]);
    dst_ = static_cast<char*>(outputs[0]);
  }
  Status Execute(dnnl::stream&) override {
    const int r = out_.rank();
    if (r == 0) {
      std::memcpy(dst_, src_, elem_);
      return Status::Ok();
    }
    const int64_t inner = out_[r - 1];
    const int64_t rows = out_.num_elements() / std::max<int64_t>(inner, 1);
    const int64_t inner_step = steps_[r - 1] * in_strides_[r - 1];
    std::array<int64_t, Shape::kMaxRank> idx{};
    char* d = dst_;
    for (int64_t row = 0; row < rows; ++row) {
      int64_t off = base_;
      for (int i = 0; i < r - 1; ++i) off += idx[i] * steps_[i] * in_strides_[i];
      const char* s = src_ + off * static_cast<int64_t>(elem_);
      if (inner_step == 1) {
        std::memcpy(d, s, static_cast<size_t>(inner) * elem_);
      } else {
        for (int64_t j = 0; j < inner; ++j) std::memcpy(d + j * elem_, s + j * inner_step * elem_, elem_);
      }
      d += inner * static_cast<int64_t>(elem_);
      for (int i = r - 2; i >= 0; --i) {
        if (++idx[i] < out_[i]) break;
        idx[i] = 0;
      }
    }
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:slice"; }

 private:
  Shape out_;
  std::vector<int64_t> starts_, steps_, in_strides_;
  int64_t base_ = 0;
  size_t elem_;
  const char* src_ = nullptr;
  char* dst_ = nullptr;
};

class GatherKernel : public Kernel {
 public:
  GatherKernel(std::string where, int64_t outer, int64_t dim, int64_t count, size_t inner_bytes, bool idx64)
      : where_(std::move(where)),
        outer_(outer),
        dim_(dim),
        count_(count),
        inner_(inner_bytes),
        idx64_(idx64) {}
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    src_ = static_cast<const char*>(inputs[0]);
    idx_ = inputs[1];
    dst_ = static_cast<char*>(outputs[0]);
  }
  Status Execute(dnnl::stream&) override {
    for (int64_t j = 0; j < count_; ++j) {
      int64_t i = idx64_ ? static_cast<const int64_t*>(idx_)[j] : static_cast<const int32_t*>(idx_)[j];
      if (i < 0) i += dim_;
      if (i < 0 || i >= dim_) {
        return Status::OutOfRange(where_ + ": index " + std::to_string(i) + " outside [0, " +
                                  std::to_string(dim_) + ")");
      }
      for (int64_t o = 0; o < outer_; ++o) {
        std::memcpy(dst_ + (o * count_ + j) * static_cast<int64_t>(inner_),
                    src_ + (o * dim_ + i) * static_cast<int64_t>(inner_), inner_);
      }
    }
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:gather"; }

 private:
  std::string where_;
  int64_t outer_, dim_, count_;
  size_t inner_;
  bool idx64_;
  const char* src_ = nullptr;
  const void* idx_ = nullptr;
  char* dst_ = nullptr;
};

template <typename From, typename To>
void Convert(const void* src, void* dst, int64_t n) {
  const From* s = static_cast<const From*>(src);
  To* d = static_cast<To*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i] = static_cast<To>(s[i]);
}

using ConvertFn = void (*)(const void*, void*, int64_t);

template <typename From>
ConvertFn ConvertFrom(DType to) {
  switch (to) {
    case DType::kFloat32:
      return &Convert<From, float>;
    case DType::kInt32:
      return &Convert<From, int32_t>;
    case DType::kInt64:
      return &Convert<From, int64_t>;
    case DType::kUInt8:
      return &Convert<From, uint8_t>;
  }
  return nullptr;
}

ConvertFn ConvertBetween(DType from, DType to) {
  switch (from) {
    case DType::kFloat32:
      return ConvertFrom<float>(to);
    case DType::kInt32:
      return ConvertFrom<int32_t>(to);
    case DType::kInt64:
      return ConvertFrom<int64_t>(to);
    case DType::kUInt8:
      return ConvertFrom<uint8_t>(to);
  }
  return nullptr;
}

class CastKernel : public Kernel {
 public:
  CastKernel(ConvertFn fn, int64_t n) : fn_(fn), n_(n) {}
  void Bind(std::span<void* const> inputs, std::span<void* const> outputs, void*) override {
    src_ = inputs[0];
    dst_ = outputs[0];
  }
  Status Execute(dnnl::stream&) override {
    fn_(src_, dst_, n_);
    return Status::Ok();
  }
  std::string impl_name() const override { return "plain:cast"; }

 private:
  ConvertFn fn_;
  int64_t n_;
  const void* src_ = nullptr;
  void* dst_ = nullptr;
};

KernelOr CreateSlice(const graph::Node& node, std::span<const TensorDesc> inputs, const TensorDesc& out) {
  const TensorDesc& x = inputs[0];
  const int rank = x.shape.rank();
  std::vector<int64_t> starts, ends, axes, steps;
  const size_t own = OwnInputCount(node);
  if (own > 1) {
    // Opset 10+: starts, ends, axes, steps are inputs; they fix the output shape, so they are constants.
    PLATEAU_ASSIGN_OR_RETURN(starts, ConstantInts(node, inputs[1], "starts"));
    if (own < 3) return Status::InvalidArgument(node.Describe() + ": Slice needs ends");
    PLATEAU_ASSIGN_OR_RETURN(ends, ConstantInts(node, inputs[2], "ends"));
    if (own > 3 && inputs[3].present) {
      PLATEAU_ASSIGN_OR_RETURN(axes, ConstantInts(node, inputs[3], "axes"));
    }
    if (own > 4 && inputs[4].present) {
      PLATEAU_ASSIGN_OR_RETURN(steps, ConstantInts(node, inputs[4], "steps"));
    }
  } else {
    starts = node.GetInts("starts");
    ends = node.GetInts("ends");
    axes = node.GetInts("axes");
  }
  if (axes.empty()) {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    return Status::InvalidArgument(node.Describe() + ": starts, ends, axes and steps differ in length");
  }
  std::vector<int64_t> box_start(static_cast<size_t>(rank), 0), box_step(static_cast<size_t>(rank), 1);
  Shape expect = x.shape;
  for (size_t i = 0; i < starts.size(); ++i) {
    PLATEAU_ASSIGN_OR_RETURN(int a, NormalizeAxis(node, axes[i], rank));
    const int64_t dim = x.shape[a];
    const int64_t step = steps[i];
    if (step == 0) return Status::InvalidArgument(node.Describe() + ": a slice step is 0");
    const SliceRange range = ResolveSliceRange(dim, starts[i], ends[i], step);
    const int64_t count = range.count;
    box_start[static_cast<size_t>(a)] = range.start;
    box_step[static_cast<size_t>(a)] = step;
    expect[a] = count;
  }
  if (expect != out.shape) {
    return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() + ", expected " +
                                   expect.ToString());
  }
  return std::unique_ptr<Kernel>(std::make_unique<SliceKernel>(x.shape, out.shape, std::move(box_start),
                                                               std::move(box_step), DTypeSize(x.dtype)));
}

KernelOr CreateGather(const graph::Node& node, std::span<const TensorDesc> inputs, const TensorDesc& out) {
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 2, 2));
  const TensorDesc& x = inputs[0];
  const TensorDesc& idx = inputs[1];
  if (idx.dtype != DType::kInt64 && idx.dtype != DType::kInt32) {
    return Status::InvalidArgument(node.Describe() + ": indices must be int32 or int64");
  }
  const int rank = x.shape.rank();
  PLATEAU_ASSIGN_OR_RETURN(int axis, NormalizeAxis(node, node.GetInt("axis", 0), rank));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= x.shape[i];
  for (int i = axis + 1; i < rank; ++i) inner *= x.shape[i];
  const int64_t count = idx.shape.num_elements();
  if (outer * count * inner != out.shape.num_elements() || out.dtype != x.dtype) {
    return Status::InvalidArgument(node.Describe() + ": output " + out.shape.ToString() +
                                   " does not match gathering " + std::to_string(count) + " indices from " +
                                   x.shape.ToString());
  }
  return std::unique_ptr<Kernel>(std::make_unique<GatherKernel>(
      node.Describe(), outer, x.shape[axis], count, static_cast<size_t>(inner) * DTypeSize(x.dtype),
      idx.dtype == DType::kInt64));
}

}  // namespace

KernelOr CreatePlainKernel(const graph::Node& node, std::span<const TensorDesc> inputs,
                           std::span<const TensorDesc> outputs, KernelContext& ctx) {
  PLATEAU_RETURN_IF_ERROR(ExpectPlainLayouts(node, inputs, outputs));
  if (!node.post_ops.empty()) return Status::Unimplemented(node.Describe() + ": post-ops on a plain kernel");
  const std::string& op = node.op_type;
  const TensorDesc& out = outputs[0];
  if (op == "Constant") {
    auto it = node.attrs.find("value");
    const auto* t =
        it == node.attrs.end() ? nullptr : std::get_if<std::shared_ptr<const Tensor>>(&it->second);
    if (t == nullptr || *t == nullptr) {
      return Status::Unimplemented(node.Describe() + ": only a tensor 'value' attribute is supported");
    }
    if ((*t)->byte_size() != out.shape.num_elements() * DTypeSize(out.dtype)) {
      return Status::InvalidArgument(node.Describe() + ": value does not match the output " +
                                     out.shape.ToString());
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<FixedKernel>((*t)->data(), (*t)->byte_size(), "plain:constant"));
  }
  PLATEAU_RETURN_IF_ERROR(ExpectInputs(node, inputs, 1, 5));
  const TensorDesc& x = inputs[0];
  if (op == "Shape") {
    if (out.dtype != DType::kInt64 || out.shape.num_elements() != x.shape.rank()) {
      return Status::InvalidArgument(node.Describe() + ": output must be int64[" +
                                     std::to_string(x.shape.rank()) + "]");
    }
    std::vector<int64_t> dims(x.shape.dims().begin(), x.shape.dims().end());
    return std::unique_ptr<Kernel>(
        std::make_unique<FixedKernel>(dims.data(), dims.size() * sizeof(int64_t), "plain:shape"));
  }
  if (op == "Cast") {
    if (x.shape.num_elements() != out.shape.num_elements()) {
      return Status::InvalidArgument(node.Describe() + ": input and output sizes differ");
    }
    if (x.dtype == out.dtype) {
      return std::unique_ptr<Kernel>(
          std::make_unique<CopyKernel>(x.shape.num_elements() * DTypeSize(x.dtype)));
    }
    return std::unique_ptr<Kernel>(
        std::make_unique<CastKernel>(ConvertBetween(x.dtype, out.dtype), x.shape.num_elements()));
  }
  if (op == "Slice") return CreateSlice(node, inputs, out);
  if (op == "Gather") return CreateGather(node, inputs, out);
  // View ops: only run when the planner could not make output 0 an alias.
  if (x.shape.num_elements() != out.shape.num_elements() || x.dtype != out.dtype) {
    return Status::InvalidArgument(node.Describe() + ": a view must keep the element count and type");
  }
  return std::unique_ptr<Kernel>(std::make_unique<CopyKernel>(x.shape.num_elements() * DTypeSize(x.dtype)));
}

}  // namespace plateau::ops::onednn
