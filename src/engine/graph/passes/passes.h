// Graph rewrites that keep results numerically equivalent (within float rounding) and make the graph
// cheaper to run: fewer nodes, fewer intermediate values, work folded into weights.
//
//   PLATEAU_ASSIGN_OR_RETURN(graph::Graph g, model::LoadOnnxGraph(path));
//   PLATEAU_RETURN_IF_ERROR(passes::OptimizeAtLoad(g));      // once per model
//   graph::Graph s = g.Clone();  /* specialise s to one input shape */
//   PLATEAU_RETURN_IF_ERROR(passes::OptimizeForShapes(s));   // once per specialised graph
//
// Contract shared by every pass:
// - Constants are never modified in place (they are shared between a Model and its cloned graphs); a
//   pass that changes weights adds new constant values and points the node at them.
// - A fused node keeps the ValueId (and name) of the pattern's last value as its output, so graph
//   outputs and downstream readers need no rewiring; the pattern's other nodes are marked removed.
// - A value that is a graph output is never swallowed into the middle of a fusion.
// - Each pass returns how many rewrites it made, or an error when the graph is malformed (a cycle) or a
//   constant sub-graph fails to evaluate (naming the node).
#pragma once

#include <cstdint>
#include <functional>

#include "engine/graph/graph.h"
#include "plateau/status.h"

namespace plateau::graph::passes {

// Shape-independent rewrites, run once when a model is loaded, in this order: FoldConstantNodes,
// CollapseLayerNorm, FoldBatchNormIntoConv, FuseActivations, then Graph::RemoveDeadNodes. Constants
// nobody reads any more stay in the value table, unreferenced.
Status OptimizeAtLoad(Graph& g);

// Rewrites that need concrete shapes; run on a specialised graph (every value has shape_known):
// FoldGatedResidual, FuseResidualAdd, then FuseActivations again so an activation after a fused residual Add
// joins the post-op chain after the sum.
//
// `also_sum_host`, when given, names further nodes that may take a residual Add as a sum post-op: the
// runtime knows which of its kernels fuse one (a Resize on oneDNN's resampling, say), the graph does not.
using SumHostFilter = std::function<bool(const Graph&, NodeId)>;
Status OptimizeForShapes(Graph& g, const SumHostFilter& also_sum_host = nullptr);

// Default size limit of one folded output.
inline constexpr int64_t kMaxFoldedBytes = int64_t{16} << 20;

// Evaluates every live node whose inputs are all constants (omitted optional inputs allowed; at least
// one input) with the op registry's reference kernel, and turns its outputs into constants in place
// (same ValueIds, producer cleared); the node is removed. Skipped: ops without infer/reference, nodes
// with an output larger than `max_bytes`, and nodes producing a graph output.
StatusOr<int> FoldConstantNodes(Graph& g, int64_t max_bytes = kMaxFoldedBytes);

// Folds into a Conv's or ConvTranspose's weights and bias the per-output-channel affine that follows
// it, when the conv output has that single consumer, is not a graph output and the conv has no
// post-ops yet:
//   BatchNormalization(y, scale, B, mean, var) with constant [C] parameters (and no used extra outputs),
//   Mul(y, c) / Mul(c, y), Add(y, c) / Add(c, y), Sub(y, c), Div(y, c)
// where c is a float constant with one element or laid out per channel for the conv's output rank
// ([1,C,1,1] or [C,1,1] for 2-D convs; [C] alone broadcasts over the last axis and does not qualify).
// Chains fold one after the other (Conv -> Mul -> Add, ConvTranspose -> Add -> BatchNormalization).
// ConvTranspose weights are [C_in, C_out/group, kH, kW]: the channel scale applies along dim 1.
// A BatchNormalization that does not follow a conv is left alone.
StatusOr<int> FoldBatchNormIntoConv(Graph& g);

// Fuses element-wise tails into output 0 of Conv, ConvTranspose and MatMul as PostOp::kEltwise, while
// each intermediate value has a single reader and is not a graph output:
//   Relu -> kRelu; Sigmoid -> kSigmoid; HardSigmoid(alpha, beta) -> kHardSigmoid;
//   Clip with constant bounds (inputs from opset 11, attributes min/max before) -> kClip(min, max);
//   Mul/Add/Sub/Div with a one-element float constant (y*c, c*y, y+c, c+y, y-c, c-y, y/c) -> kLinear,
//     consecutive linears merged into one;
//   Mul(y, Clip(Add(y, 3), 0, 6)) followed by Div(., 6) or Mul(., 1/6) -> kHardSwish;
//   Mul(y, HardSigmoid(y, 1/6, 0.5)) -> kHardSwish;
//   Mul(y, Sigmoid(y)) -> kSwish(alpha 1); Mul(y, Sigmoid(Mul(y, beta))) -> kSwish(alpha beta).
// Fusion continues along the chain while the next reader matches.
StatusOr<int> FuseActivations(Graph& g);

// Replaces the layer-norm sub-graph
//   m = ReduceMean(x, axes=[-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), axes=[-1]);
//   y = Div(d, Sqrt(Add(v, eps))) * gamma + beta
// (gamma, beta 1-D float constants, eps a one-element constant, keepdims=1) by one node
// "plateau.LayerNorm" with inputs (x, gamma, beta) and attributes axis=-1 (int), epsilon (float).
StatusOr<int> CollapseLayerNorm(Graph& g);

// Needs concrete shapes. Turns Add(a, b), where a is output 0 of a Conv/ConvTranspose/MatMul node N (or
// one `also_sum_host` accepts) that only this Add reads (and not a graph output), and b is a non-constant
// value of exactly a's shape that does not depend on N, into PostOp{kSum, operand b} on N (b is appended
// to N's inputs); N then produces the Add's output. When both operands qualify, the one whose producer
// runs later is fused. The planner may then let N write its output over b: no buffer for a at all.
StatusOr<int> FuseResidualAdd(Graph& g, const SumHostFilter& also_sum_host = nullptr);
// Needs concrete shapes. Turns a gated residual Add(x, Mul(x, s)) (either operand order), where s is a
// per-channel gate ([N or 1, C, 1, ...], as a squeeze-and-excitation block computes it) made by a
// Conv/ConvTranspose/MatMul node that only that Mul reads, and the Mul is read by the Add alone, into
// Mul(x, s + 1): the + 1 becomes a kLinear(1, 1) post-op of s's producer and the Mul produces the Add's
// output. x * (1 + s) equals x + x * s within float rounding, and it needs no buffer for x * s: the Mul
// can overwrite x when it is x's last reader.
StatusOr<int> FoldGatedResidual(Graph& g);

}  // namespace plateau::graph::passes
