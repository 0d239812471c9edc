#include <unistd.h>

#include <mutex>

#include "engine/graph/graph.h"
#include "engine/graph/passes/passes.h"
#include "engine/model/onnx_loader.h"
#include "engine/model_internals.h"
#include "engine/ops/onednn/runtime.h"
#include "plateau/engine.h"

namespace plateau {
namespace {

// oneDNN's primitive cache is per process; set its capacity once, explicitly, before the first
// primitive is created (see kOneDnnPrimitiveCacheCapacity).
void ConfigureOneDnnOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ops::onednn::SetPrimitiveCacheCapacity(kOneDnnPrimitiveCacheCapacity); });
}

}  // namespace

Model::Model() = default;
Model::~Model() = default;

StatusOr<std::shared_ptr<const Model>> Model::Load(const std::string& path, const ModelOptions& options) {
  ConfigureOneDnnOnce();
  PLATEAU_ASSIGN_OR_RETURN(graph::Graph g, model::LoadOnnxGraph(path));
  std::shared_ptr<Model> model(new Model());
  model->path_ = path;
  model->options_ = options;
  Status st = graph::passes::OptimizeAtLoad(g);
  if (!st.ok()) return st.WithContext("optimising model '" + path + "'");
  model->graph_ = std::make_unique<graph::Graph>(std::move(g));
  model->internals_ = std::make_unique<Internals>();
  return std::shared_ptr<const Model>(std::move(model));
}

StatusOr<std::shared_ptr<const Model>> Model::LoadFromBytes(const std::string& bytes,
                                                            const std::string& label,
                                                            const ModelOptions& options) {
  ConfigureOneDnnOnce();
  PLATEAU_ASSIGN_OR_RETURN(graph::Graph g, model::LoadOnnxGraphFromBytes(bytes, label));
  std::shared_ptr<Model> model(new Model());
  model->path_ = label;
  model->options_ = options;
  Status st = graph::passes::OptimizeAtLoad(g);
  if (!st.ok()) return st.WithContext("optimising model '" + label + "'");
  model->graph_ = std::make_unique<graph::Graph>(std::move(g));
  model->internals_ = std::make_unique<Internals>();
  return std::shared_ptr<const Model>(std::move(model));
}

void ReleaseCachedPrimitives() {
  ConfigureOneDnnOnce();
  // oneDNN drops the entries beyond a lowered capacity; restoring it leaves the cache empty but bounded.
  ops::onednn::SetPrimitiveCacheCapacity(0);
  ops::onednn::SetPrimitiveCacheCapacity(kOneDnnPrimitiveCacheCapacity);
}

std::vector<std::string> Model::input_names() const {
  std::vector<std::string> names;
  for (graph::ValueId id : graph_->inputs()) names.push_back(graph_->value(id).name);
  return names;
}

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> names;
  for (graph::ValueId id : graph_->outputs()) names.push_back(graph_->value(id).name);
  return names;
}

Shape Model::input_shape(size_t i) const { return graph_->value(graph_->inputs()[i]).shape; }

size_t Model::weights_bytes() const {
  size_t bytes = 0;
  // Constants still referenced by live nodes; folded-away originals are not counted.
  std::vector<bool> seen(graph_->num_values(), false);
  for (size_t n = 0; n < graph_->num_nodes(); ++n) {
    const graph::Node& node = graph_->node(graph::NodeId{static_cast<int32_t>(n)});
    if (node.removed) continue;
    for (graph::ValueId in : node.inputs) {
      if (!in.valid() || seen[in.index]) continue;
      seen[in.index] = true;
      const graph::Value& v = graph_->value(in);
      if (v.constant) bytes += v.constant->byte_size();
    }
  }
  return bytes + internals_->weights.bytes();
}

}  // namespace plateau
