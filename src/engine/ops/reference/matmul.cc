// MatMul (numpy semantics: batched, broadcasting batch dims, 1-D operands promoted) and Gemm.

#include <vector>

#include "engine/ops/reference/common.h"
#include "engine/ops/reference/op_groups.h"

namespace plateau::ops::reference {
namespace {

using graph::Node;

// ---------------------------------------------------------------------------------------------------
// MatMul

Status ValidateMatMul(const Node& node, int opset) { return CheckArity(node, 2, 2, 1); }

// A and B as matrices: a 1-D A becomes [1, K] and a 1-D B becomes [K, 1]; batch dims are the rest.
struct MatMulGeometry {
  Shape a_batch, b_batch, batch;
  int64_t m = 0, k = 0, n = 0;
  Shape out;
};

StatusOr<MatMulGeometry> MakeMatMulGeometry(const Shape& a, const Shape& b) {
  if (a.rank() == 0 || b.rank() == 0) {
    return Status::InvalidArgument("MatMul operands " + a.ToString() + " and " + b.ToString() +
                                   " include a scalar; expected rank >= 1");
  }
  MatMulGeometry g;
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  g.m = a_vec ? 1 : a[a.rank() - 2];
  g.k = a[a.rank() - 1];
  const int64_t kb = b_vec ? b[0] : b[b.rank() - 2];
  g.n = b_vec ? 1 : b[b.rank() - 1];
  if (g.k != kb) {
    return Status::InvalidArgument("MatMul operands " + a.ToString() + " and " + b.ToString() +
                                   " disagree on the inner dim (" + std::to_string(g.k) + " vs " +
                                   std::to_string(kb) + ")");
  }
  for (int i = 0; i + 2 < a.rank(); ++i) g.a_batch.push_back(a[i]);
  for (int i = 0; i + 2 < b.rank(); ++i) g.b_batch.push_back(b[i]);
  PLATEAU_ASSIGN_OR_RETURN(g.batch, BroadcastShapes(g.a_batch, g.b_batch));
  g.out = g.batch;
  if (g.out.rank() + (a_vec ? 0 : 1) + (b_vec ? 0 : 1) > Shape::kMaxRank) {
    return Status::Unimplemented("MatMul output rank exceeds the maximum");
  }
  if (!a_vec) g.out.push_back(g.m);
  if (!b_vec) g.out.push_back(g.n);
  return g;
}

Status InferMatMul(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "A"));
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[1].dtype, "B"));
  PLATEAU_ASSIGN_OR_RETURN(MatMulGeometry g, MakeMatMulGeometry(in[0].shape, in[1].shape));
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(g.out, "output"));
  out[0].dtype = DType::kFloat32;
  out[0].shape = g.out;
  return Status::Ok();
}

Status ReferenceMatMul(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(MatMulGeometry g, MakeMatMulGeometry(in[0].shape, in[1].shape));
  const auto a_strides = BroadcastStrides(g.a_batch, g.batch);
  const auto b_strides = BroadcastStrides(g.b_batch, g.batch);
  const float* a = in[0].as<const float>();
  const float* b = in[1].as<const float>();
  float* y = out[0].as<float>();
  const int64_t a_matrix = g.m * g.k, b_matrix = g.k * g.n, y_matrix = g.m * g.n;
  IndexCounter it(g.batch);
  for (int64_t batch = 0; batch < g.batch.num_elements(); ++batch, it.Next()) {
    const float* pa = a + it.Offset(a_strides) * a_matrix;
    const float* pb = b + it.Offset(b_strides) * b_matrix;
    float* py = y + batch * y_matrix;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < g.k; ++p) acc += static_cast<double>(pa[i * g.k + p]) * pb[p * g.n + j];
        py[i * g.n + j] = static_cast<float>(acc);
      }
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

// ---------------------------------------------------------------------------------------------------
// Gemm: Y = alpha * op(A) op(B) + beta * C, with C broadcast to [M, N].

Status ValidateGemm(const Node& node, int opset) {
  PLATEAU_RETURN_IF_ERROR(CheckArity(node, 2, 3, 1));
  if (opset < 7 && HasAttribute(node, "broadcast")) {
    return Status::Unimplemented("legacy Gemm attribute broadcast (opset < 7) is not supported");
  }
  return Status::Ok();
}

struct GemmGeometry {
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false, trans_b = false;
};

StatusOr<GemmGeometry> MakeGemmGeometry(const Node& node, const Shape& a, const Shape& b) {
  if (a.rank() != 2 || b.rank() != 2) {
    return Status::InvalidArgument("Gemm operands " + a.ToString() + " and " + b.ToString() +
                                   " must both be rank 2");
  }
  GemmGeometry g;
  g.trans_a = AttrInt(node, "transA", 0) != 0;
  g.trans_b = AttrInt(node, "transB", 0) != 0;
  g.m = g.trans_a ? a[1] : a[0];
  g.k = g.trans_a ? a[0] : a[1];
  const int64_t kb = g.trans_b ? b[1] : b[0];
  g.n = g.trans_b ? b[0] : b[1];
  if (g.k != kb) {
    return Status::InvalidArgument("Gemm operands " + a.ToString() + (g.trans_a ? " (transposed)" : "") +
                                   " and " + b.ToString() + (g.trans_b ? " (transposed)" : "") +
                                   " disagree on the inner dim (" + std::to_string(g.k) + " vs " +
                                   std::to_string(kb) + ")");
  }
  return g;
}

Status InferGemm(const Node& node, std::span<const ValueInfo> in, std::span<ValueInfo> out) {
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[0].dtype, "A"));
  PLATEAU_RETURN_IF_ERROR(RequireFloat(in[1].dtype, "B"));
  PLATEAU_ASSIGN_OR_RETURN(GemmGeometry g, MakeGemmGeometry(node, in[0].shape, in[1].shape));
  const Shape y{g.m, g.n};
  if (HasInput(node, 2)) {
    PLATEAU_RETURN_IF_ERROR(RequireFloat(in[2].dtype, "C"));
    if (!BroadcastsTo(in[2].shape, y)) {
      return Status::InvalidArgument("C has shape " + in[2].shape.ToString() +
                                     ", which does not broadcast to " + y.ToString());
    }
  }
  PLATEAU_RETURN_IF_ERROR(CheckPositiveDims(y, "output"));
  out[0].dtype = DType::kFloat32;
  out[0].shape = y;
  return Status::Ok();
}

Status ReferenceGemm(const Node& node, std::span<const TensorView> in, std::span<const TensorView> out) {
  PLATEAU_ASSIGN_OR_RETURN(GemmGeometry g, MakeGemmGeometry(node, in[0].shape, in[1].shape));
  const double alpha = AttrFloat(node, "alpha", 1.f);
  const double beta = AttrFloat(node, "beta", 1.f);
  const float* a = in[0].as<const float>();
  const float* b = in[1].as<const float>();
  const bool has_c = HasInput(node, 2);
  const Shape y_shape{g.m, g.n};
  const auto c_strides = has_c ? BroadcastStrides(in[2].shape, y_shape) : Strides(y_shape);
  const float* c = has_c ? in[2].as<const float>() : nullptr;
  float* y = out[0].as<float>();
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const float av = g.trans_a ? a[p * g.m + i] : a[i * g.k + p];
        const float bv = g.trans_b ? b[j * g.k + p] : b[p * g.n + j];
        acc += static_cast<double>(av) * bv;
      }
      double v = alpha * acc;
      if (c) v += beta * c[i * c_strides[0] + j * c_strides[1]];
      y[i * g.n + j] = static_cast<float>(v);
    }
  }
  return ApplyPostOpsReference(node, in, out[0]);
}

constexpr OpDef kMatMulOps[] = {
    {"MatMul", 1, kMaxOpset, &ValidateMatMul, &InferMatMul, &ReferenceMatMul},
    {"Gemm", 7, kMaxOpset, &ValidateGemm, &InferGemm, &ReferenceGemm},
};

}  // namespace

std::span<const OpDef> MatMulOps() { return kMatMulOps; }

}  // namespace plateau::ops::reference
