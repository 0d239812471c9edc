#include <memory>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"
#include "engine/ops/op.h"

namespace plateau::graph::passes {

StatusOr<int> FoldConstantNodes(Graph& g, int64_t max_bytes) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  UseIndex uses(g);
  int folded = 0;
  // Topological order lets a chain of constant nodes fold in one sweep: each folded output is a
  // constant by the time its readers are visited.
  for (NodeId id : order) {
    Node& n = g.node(id);
    bool any_input = false;
    bool all_constant = true;
    for (ValueId in : n.inputs) {
      if (!in.valid()) continue;
      any_input = true;
      if (ConstantOf(g, in) == nullptr) all_constant = false;
    }
    if (!any_input || !all_constant) continue;
    bool feeds_output = false;
    for (ValueId out : n.outputs) feeds_output = feeds_output || (out.valid() && uses.IsGraphOutput(out));
    // Graph outputs stay produced by a node, so the executor never has to hand out a constant.
    if (feeds_output) continue;
    const ops::OpDef* def = ops::FindOp(n.op_type);
    if (def == nullptr || def->infer == nullptr || def->reference == nullptr) continue;

    const std::string where = "folding constant " + n.Describe();
    std::vector<ops::ValueInfo> in_info(n.inputs.size());
    std::vector<TensorView> in_views(n.inputs.size());
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!n.inputs[i].valid()) continue;
      const Value& v = g.value(n.inputs[i]);
      in_info[i].dtype = v.constant->dtype();
      in_info[i].shape = v.constant->shape();
      in_info[i].constant = v.constant;
      in_views[i] = v.constant->view();
    }
    std::vector<ops::ValueInfo> out_info(n.outputs.size());
    Status st = def->infer(n, in_info, out_info);
    if (!st.ok()) return st.WithContext(where);

    bool too_big = false;
    for (const ops::ValueInfo& o : out_info) {
      const int64_t bytes = o.shape.num_elements() * static_cast<int64_t>(DTypeSize(o.dtype));
      if (o.shape.num_elements() > max_bytes || bytes > max_bytes) too_big = true;
    }
    if (too_big) continue;

    std::vector<std::shared_ptr<const Tensor>> results(n.outputs.size());
    std::vector<Tensor> owned;
    owned.reserve(n.outputs.size());
    std::vector<TensorView> out_views(n.outputs.size());
    bool needs_kernel = false;
    for (size_t i = 0; i < out_info.size(); ++i) {
      if (out_info[i].constant != nullptr) {
        // Inference already knows the contents (e.g. Shape); the kernel still runs if another output
        // needs it, writing into a scratch copy.
        results[i] = out_info[i].constant;
      } else {
        needs_kernel = true;
      }
      PLATEAU_ASSIGN_OR_RETURN(Tensor t, Tensor::Zeros(out_info[i].dtype, out_info[i].shape));
      out_views[i] = t.view();
      owned.push_back(std::move(t));
    }
    if (needs_kernel) {
      st = def->reference(n, in_views, out_views);
      if (!st.ok()) return st.WithContext(where);
    }
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (!n.outputs[i].valid()) continue;
      if (results[i] == nullptr) results[i] = std::make_shared<const Tensor>(std::move(owned[i]));
      Value& v = g.value(n.outputs[i]);
      v.dtype = results[i]->dtype();
      v.shape = results[i]->shape();
      v.shape_known = true;
      v.constant = std::move(results[i]);
      v.producer = NodeId{};
    }
    g.RemoveNode(id);
    ++folded;
  }
  return folded;
}

}  // namespace plateau::graph::passes
