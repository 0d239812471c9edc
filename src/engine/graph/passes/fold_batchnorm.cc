#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "engine/graph/passes/passes.h"
#include "engine/graph/passes/pattern.h"

namespace plateau::graph::passes {
namespace {

// out[c] -> out[c] * scale[c] + shift[c], per output channel.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};

// Per-channel values of a float constant `t` combined element-wise with a conv output of rank `rank`
// and `channels` channels: one element (broadcast to all channels), or `channels` elements laid out
// along axis 1 after right-aligned broadcasting. nullopt when broadcasting would mix in other axes.
std::optional<std::vector<double>> PerChannel(const Tensor* t, int rank, int64_t channels) {
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->shape().rank() > rank) return std::nullopt;
  const Shape& s = t->shape();
  const int64_t n = s.num_elements();
  const float* p = t->as<float>();
  if (n == 1) return std::vector<double>(static_cast<size_t>(channels), p[0]);
  if (n != channels) return std::nullopt;
  const int channel_axis = s.rank() - rank + 1;  // axis 1 of the output, right-aligned
  if (channel_axis < 0) return std::nullopt;
  for (int i = 0; i < s.rank(); ++i) {
    if (i != channel_axis && s[i] != 1) return std::nullopt;
  }
  return std::vector<double>(p, p + n);
}

// A [C] float constant (BatchNormalization parameters are 1-D).
std::optional<std::vector<double>> Vector(const Tensor* t, int64_t channels) {
  if (t == nullptr || t->dtype() != DType::kFloat32 || t->shape().rank() != 1 || t->shape()[0] != channels) {
    return std::nullopt;
  }
  const float* p = t->as<float>();
  return std::vector<double>(p, p + channels);
}

// The affine that `reader` applies to the conv output `y`, if it is one this pass folds.
std::optional<ChannelAffine> AffineOf(const Graph& g, const UseIndex& uses, const Node& reader, ValueId y,
                                      int rank, int64_t channels) {
  ChannelAffine a;
  const auto ones = std::vector<double>(static_cast<size_t>(channels), 1.0);
  const auto zeros = std::vector<double>(static_cast<size_t>(channels), 0.0);
  if (reader.op_type == "BatchNormalization") {
    if (reader.inputs.size() != 5 || reader.inputs[0] != y) return std::nullopt;
    // Training-mode outputs (running mean/var) must not be read by anyone.
    for (size_t i = 1; i < reader.outputs.size(); ++i) {
      if (reader.outputs[i].valid() &&
          (!uses.Readers(reader.outputs[i]).empty() || uses.IsGraphOutput(reader.outputs[i]))) {
        return std::nullopt;
      }
    }
    auto gamma = Vector(ConstantOf(g, reader.inputs[1]), channels);
    auto beta = Vector(ConstantOf(g, reader.inputs[2]), channels);
    auto mean = Vector(ConstantOf(g, reader.inputs[3]), channels);
    auto var = Vector(ConstantOf(g, reader.inputs[4]), channels);
    if (!gamma || !beta || !mean || !var) return std::nullopt;
    const double eps = reader.GetFloat("epsilon", 1e-5f);
    a.scale.resize(channels);
    a.shift.resize(channels);
    for (int64_t c = 0; c < channels; ++c) {
      a.scale[c] = (*gamma)[c] / std::sqrt((*var)[c] + eps);
      a.shift[c] = (*beta)[c] - (*mean)[c] * a.scale[c];
    }
    return a;
  }
  const bool is_mul = reader.op_type == "Mul", is_add = reader.op_type == "Add";
  const bool is_sub = reader.op_type == "Sub", is_div = reader.op_type == "Div";
  if (!is_mul && !is_add && !is_sub && !is_div) return std::nullopt;
  ValueId other = OtherInput(reader, y);
  auto c = PerChannel(ConstantOf(g, other), rank, channels);
  if (!c) return std::nullopt;
  const bool y_first = reader.inputs[0] == y;
  if (is_mul) {
    a.scale = *c;
    a.shift = zeros;
  } else if (is_add) {
    a.scale = ones;
    a.shift = *c;
  } else if (is_sub) {
    // y - c, or c - y.
    a.scale = y_first ? ones : std::vector<double>(static_cast<size_t>(channels), -1.0);
    a.shift = *c;
    if (y_first) {
      for (double& s : a.shift) s = -s;
    }
  } else {
    if (!y_first) return std::nullopt;  // c / y is not affine
    for (double v : *c) {
      if (v == 0.0) return std::nullopt;
    }
    a.scale = *c;
    for (double& s : a.scale) s = 1.0 / s;
    a.shift = zeros;
  }
  return a;
}

}  // namespace

StatusOr<int> FoldBatchNormIntoConv(Graph& g) {
  PLATEAU_ASSIGN_OR_RETURN(std::vector<NodeId> order, g.TopologicalOrder());
  // Folding only removes nodes and repoints a conv at the reader's output, so the index stays valid.
  UseIndex uses(g);
  int folded = 0;
  for (NodeId id : order) {
    if (!IsConvLike(g.node(id))) continue;
    while (true) {
      Node& conv = g.node(id);
      // A post-op would run before the affine; folding it into the weights would reorder them.
      if (!conv.post_ops.empty() || conv.inputs.size() < 2 || conv.outputs.empty()) break;
      const ValueId y = conv.outputs[0];
      const NodeId reader_id = uses.SoleReader(y);
      if (!reader_id.valid()) break;
      const Tensor* w = ConstantOf(g, conv.inputs[1]);
      if (w == nullptr || w->dtype() != DType::kFloat32 || w->shape().rank() < 3) break;
      const bool transpose = conv.op_type == "ConvTranspose";
      const int64_t group = conv.GetInt("group", 1);
      if (group < 1 || (transpose && w->shape()[0] % group != 0)) break;
      const int64_t channels = transpose ? w->shape()[1] * group : w->shape()[0];
      const bool has_bias = conv.inputs.size() > 2 && conv.inputs[2].valid();
      std::optional<std::vector<double>> bias;
      if (has_bias) {
        bias = Vector(ConstantOf(g, conv.inputs[2]), channels);
        if (!bias) break;
      } else {
        bias = std::vector<double>(static_cast<size_t>(channels), 0.0);
      }
      const Node& reader = g.node(reader_id);
      if (reader.outputs.empty() || !reader.outputs[0].valid()) break;
      std::optional<ChannelAffine> affine = AffineOf(g, uses, reader, y, w->shape().rank(), channels);
      if (!affine) break;

      // New weights: every weight feeding output channel oc is multiplied by scale[oc].
      const Shape& ws = w->shape();
      const int64_t total = ws.num_elements();
      std::vector<float> new_w(static_cast<size_t>(total));
      const float* old_w = w->as<float>();
      int64_t spatial = 1;
      for (int i = 2; i < ws.rank(); ++i) spatial *= ws[i];
      const int64_t per_group_out = transpose ? ws[1] : 0;
      const int64_t in_per_group = transpose ? ws[0] / group : 0;
      for (int64_t i = 0; i < total; ++i) {
        int64_t oc;
        if (transpose) {
          // [C_in, C_out/group, k...]: input channel ic belongs to group ic / (C_in/group).
          const int64_t j = (i / spatial) % ws[1];
          const int64_t ic = i / (spatial * ws[1]);
          oc = (ic / in_per_group) * per_group_out + j;
        } else {
          oc = i / (spatial * ws[1]);
        }
        new_w[i] = static_cast<float>(old_w[i] * affine->scale[oc]);
      }
      std::vector<float> new_b(static_cast<size_t>(channels));
      for (int64_t c = 0; c < channels; ++c) {
        new_b[c] = static_cast<float>((*bias)[c] * affine->scale[c] + affine->shift[c]);
      }
      std::shared_ptr<const Tensor> wt = MakeFloatTensor(ws, new_w);
      std::shared_ptr<const Tensor> bt = MakeFloatTensor(Shape{channels}, new_b);
      if (wt == nullptr || bt == nullptr) {
        return Status::ResourceExhausted("could not allocate folded weights for " + conv.Describe());
      }
      const std::string base = conv.name + ".folded" + std::to_string(folded);
      const ValueId w_id = g.AddConstant(base + ".weight", std::move(wt));
      const ValueId b_id = g.AddConstant(base + ".bias", std::move(bt));
      const ValueId end = reader.outputs[0];
      g.RemoveNode(reader_id);
      Node& c = g.node(id);
      c.inputs[1] = w_id;
      if (c.inputs.size() < 3) c.inputs.resize(3);
      c.inputs[2] = b_id;
      TakeOverOutput(g, id, end);
      ++folded;
    }
  }
  return folded;
}

}  // namespace plateau::graph::passes
