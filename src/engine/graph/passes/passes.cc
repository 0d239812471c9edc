#include "engine/graph/passes/passes.h"

namespace plateau::graph::passes {

Status OptimizeAtLoad(Graph& g) {
  // Folding constants first turns shape arithmetic on constants into constants the later patterns can
  // read. Layer norm is collapsed before the affine/activation passes so its Mul/Add tail is not taken
  // for something else. Biases and batch norms fold into weights before activations fuse, because a
  // post-op would block folding.
  StatusOr<int> n = FoldConstantNodes(g);
  if (!n.ok()) return n.status().WithContext("constant folding");
  n = CollapseLayerNorm(g);
  if (!n.ok()) return n.status().WithContext("layer-norm collapsing");
  n = FoldBatchNormIntoConv(g);
  if (!n.ok()) return n.status().WithContext("batch-norm folding");
  n = FuseActivations(g);
  if (!n.ok()) return n.status().WithContext("activation fusion");
  g.RemoveDeadNodes();
  return Status::Ok();
}

Status OptimizeForShapes(Graph& g, const SumHostFilter& also_sum_host) {
  // Before residual fusion, which would otherwise take the gated Add's x as a sum operand.
  StatusOr<int> folded = FoldGatedResidual(g);
  if (!folded.ok()) return folded.status().WithContext("gated residual folding");
  StatusOr<int> n = FuseResidualAdd(g, also_sum_host);
  if (!n.ok()) return n.status().WithContext("residual fusion");
  // An activation after a residual Add (Relu(conv + x)) can only fuse once the sum is a post-op.
  if (*n > 0) {
    n = FuseActivations(g);
    if (!n.ok()) return n.status().WithContext("activation fusion after residual fusion");
    g.RemoveDeadNodes();
  }
  return Status::Ok();
}

}  // namespace plateau::graph::passes
