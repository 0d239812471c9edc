// The op definitions of this folder, one constant array per family. registry.cc lists these arrays;
// nothing registers itself at start-up. Internal to src/engine/ops.
#pragma once

#include <span>

#include "engine/ops/op.h"

namespace plateau::ops::reference {

// Add, Sub, Mul, Div, Pow, Sqrt, Relu, Sigmoid, HardSigmoid, Clip, Exp, Tanh, Identity.
std::span<const OpDef> ElementwiseOps();
// Conv, ConvTranspose.
std::span<const OpDef> ConvOps();
// BatchNormalization, Softmax, plateau.LayerNorm.
std::span<const OpDef> NormOps();
// GlobalAveragePool, AveragePool, MaxPool, ReduceMean.
std::span<const OpDef> PoolOps();
// MatMul, Gemm.
std::span<const OpDef> MatMulOps();
// Resize.
std::span<const OpDef> ResizeOps();
// Concat, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Shape, Cast, Gather, plateau.Reorder.
std::span<const OpDef> ShapeOps();

}  // namespace plateau::ops::reference
