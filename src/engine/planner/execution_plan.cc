#include "engine/planner/execution_plan.h"

#include <algorithm>
#include <cstdio>

#include "engine/planner/memory_planner.h"

namespace plateau::planner {
namespace {

size_t ValueBytes(const graph::Value& v) {
  int64_t n = v.shape.num_elements();
  size_t elem = DTypeSize(v.dtype);
  if (n > 0 && static_cast<uint64_t>(n) > SIZE_MAX / elem) return SIZE_MAX;
  return static_cast<size_t>(n) * elem;
}

std::string HumanBytes(size_t b) {
  char buf[64];
  if (b >= (1ull << 30)) {
    std::snprintf(buf, sizeof(buf), "%.2f GiB", static_cast<double>(b) / (1ull << 30));
  } else if (b >= (1ull << 20)) {
    std::snprintf(buf, sizeof(buf), "%.2f MiB", static_cast<double>(b) / (1ull << 20));
  } else if (b >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", static_cast<double>(b) / 1024);
  } else {
    std::snprintf(buf, sizeof(buf), "%zu B", b);
  }
  return buf;
}

}  // namespace

StatusOr<ExecutionPlan> ExecutionPlan::Build(graph::Graph g, std::vector<StepRequest> steps,
                                             size_t max_arena_bytes) {
  ExecutionPlan plan;
  const size_t nv = g.num_values();
  const int num_steps = static_cast<int>(steps.size());
  const int end_step = num_steps;  // graph outputs stay alive past the last step

  // Direct last use of every value, and the step that produces it.
  std::vector<int> last_use(nv, -1);
  std::vector<int> produced_at(nv, -1);
  for (int s = 0; s < num_steps; ++s) {
    const graph::Node& n = g.node(steps[s].node);
    for (graph::ValueId in : n.inputs) {
      if (in.valid()) last_use[in.index] = std::max(last_use[in.index], s);
    }
    for (graph::ValueId out : n.outputs) {
      if (out.valid()) produced_at[out.index] = s;
    }
  }
  std::vector<bool> is_graph_input(nv, false), is_graph_output(nv, false);
  for (graph::ValueId in : g.inputs()) is_graph_input[in.index] = true;
  for (graph::ValueId out : g.outputs()) {
    if (g.value(out).constant) {
      return Status::Unimplemented("output '" + g.value(out).name +
                                   "' is a constant for these input shapes; nothing to run");
    }
    is_graph_output[out.index] = true;
    last_use[out.index] = end_step;
  }

  // Union values into buffers: views and in-place outputs join their input's buffer.
  std::vector<int> root(nv);
  for (size_t i = 0; i < nv; ++i) root[i] = static_cast<int>(i);
  std::vector<int> root_last(nv, -1);        // last step any member of the buffer is read
  std::vector<bool> root_pinned(nv, false);  // buffer holds a graph input or output: never overwrite
  for (size_t i = 0; i < nv; ++i) {
    root_last[i] = last_use[i];
    root_pinned[i] = is_graph_input[i] || is_graph_output[i];
  }
  auto join = [&](int member, int r) {
    root[member] = r;
    root_last[r] = std::max(root_last[r], last_use[member]);
    root_pinned[r] = root_pinned[r] || root_pinned[member];
  };
  for (int s = 0; s < num_steps; ++s) {
    const StepRequest& req = steps[s];
    const graph::Node& n = g.node(req.node);
    if (n.outputs.empty() || !n.outputs[0].valid()) continue;
    const int out = n.outputs[0].index;
    if (req.is_view) {
      graph::ValueId in = n.inputs.empty() ? graph::ValueId{} : n.inputs[0];
      if (!in.valid() || g.value(in).constant) {
        return Status::Internal("view node '" + n.name + "' has no run-time input");
      }
      join(out, root[in.index]);
      continue;
    }
    for (int idx : req.in_place_inputs) {
      if (idx < 0 || idx >= static_cast<int>(n.inputs.size()) || !n.inputs[idx].valid()) continue;
      const graph::Value& in = g.value(n.inputs[idx]);
      const graph::Value& o = g.value(n.outputs[0]);
      if (in.constant || in.dtype != o.dtype || in.layout != o.layout || ValueBytes(in) != ValueBytes(o)) {
        continue;
      }
      int r = root[n.inputs[idx].index];
      if (root_pinned[r] || root_last[r] > s) continue;
      // The input buffer's last reader is this step: the output may overwrite it.
      join(out, r);
      break;
    }
  }

  // One usage record per buffer (root) plus one per step's scratch.
  std::vector<UsageRecord> records;
  std::vector<int> record_of_root(nv, -1);
  plan.values_.assign(nv, PlannedValue{});
  for (size_t i = 0; i < nv; ++i) {
    const graph::Value& v = g.value(graph::ValueId{static_cast<int32_t>(i)});
    if (v.constant) continue;
    bool used = last_use[i] >= 0 || produced_at[i] >= 0 || is_graph_input[i];
    if (!used) continue;
    int r = root[i];
    if (record_of_root[r] < 0) {
      record_of_root[r] = static_cast<int>(records.size());
      UsageRecord rec;
      rec.first_step = is_graph_input[r] ? 0 : std::max(produced_at[r], 0);
      rec.last_step = std::max(root_last[r], rec.first_step);
      rec.size = ValueBytes(g.value(graph::ValueId{r}));
      if (rec.size == SIZE_MAX) {
        return Status::ResourceExhausted("value '" + g.value(graph::ValueId{r}).name + "' of shape " +
                                         g.value(graph::ValueId{r}).shape.ToString() +
                                         " is too large to address");
      }
      records.push_back(rec);
      plan.unshared_bytes_ += rec.size;
    } else {
      UsageRecord& rec = records[record_of_root[r]];
      rec.last_step = std::max(rec.last_step, root_last[r]);
    }
    plan.values_[i].has_storage = true;
    plan.values_[i].root = r;
    plan.values_[i].bytes = ValueBytes(v);
  }
  std::vector<int> scratch_record(num_steps, -1);
  for (int s = 0; s < num_steps; ++s) {
    if (steps[s].scratch_bytes == 0) continue;
    scratch_record[s] = static_cast<int>(records.size());
    records.push_back(UsageRecord{s, s, steps[s].scratch_bytes, 0});
    plan.scratch_bytes_ = std::max(plan.scratch_bytes_, steps[s].scratch_bytes);
  }

  plan.arena_bytes_ = PlanMemory(records);
  if (max_arena_bytes > 0 && plan.arena_bytes_ > max_arena_bytes) {
    std::string shapes;
    for (graph::ValueId in : g.inputs()) {
      if (!shapes.empty()) shapes += ", ";
      shapes += g.value(in).name + "=" + g.value(in).shape.ToString();
    }
    return Status::ResourceExhausted(
        "input shapes " + shapes + " need " + std::to_string(plan.arena_bytes_) + " bytes (" +
        HumanBytes(plan.arena_bytes_) + ") of activation memory, over the limit of " +
        std::to_string(max_arena_bytes) + " bytes (" + HumanBytes(max_arena_bytes) + ")");
  }

  for (size_t i = 0; i < nv; ++i) {
    PlannedValue& pv = plan.values_[i];
    if (!pv.has_storage) continue;
    const UsageRecord& rec = records[record_of_root[pv.root]];
    pv.offset = rec.offset;
    pv.first_step = rec.first_step;
    pv.last_step = rec.last_step;
  }
  plan.steps_.reserve(num_steps);
  for (int s = 0; s < num_steps; ++s) {
    PlannedStep ps;
    ps.node = steps[s].node;
    ps.is_view = steps[s].is_view;
    if (scratch_record[s] >= 0) {
      ps.scratch_offset = records[scratch_record[s]].offset;
      ps.scratch_bytes = records[scratch_record[s]].size;
    }
    plan.steps_.push_back(ps);
  }
  plan.graph_ = std::move(g);
  return plan;
}

std::string ExecutionPlan::ToString() const {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-6s %-40s %-18s %-6s %12s %12s %s\n", "buffer", "value", "shape",
                "layout", "offset", "bytes", "steps");
  out += line;
  int buffers = 0;
  for (size_t i = 0; i < values_.size(); ++i) {
    const PlannedValue& pv = values_[i];
    if (!pv.has_storage) continue;
    const graph::Value& v = graph_.value(graph::ValueId{static_cast<int32_t>(i)});
    bool owner = pv.root == static_cast<int>(i);
    if (owner) ++buffers;
    std::string name = v.name.size() > 40 ? "..." + v.name.substr(v.name.size() - 37) : v.name;
    std::string shares = owner ? "" : " (shares " + graph_.value(graph::ValueId{pv.root}).name + ")";
    std::snprintf(line, sizeof(line), "%-6s %-40s %-18s %-6s %12zu %12zu %d..%d%s\n", owner ? "own" : "alias",
                  name.c_str(), v.shape.ToString().c_str(), graph::LayoutName(v.layout), pv.offset, pv.bytes,
                  pv.first_step, pv.last_step, shares.c_str());
    out += line;
  }
  for (size_t s = 0; s < steps_.size(); ++s) {
    if (steps_[s].scratch_bytes == 0) continue;
    const graph::Node& n = graph_.node(steps_[s].node);
    std::string name = "scratch:" + n.name;
    if (name.size() > 40) name = "..." + name.substr(name.size() - 37);
    std::snprintf(line, sizeof(line), "%-6s %-40s %-18s %-6s %12zu %12zu %zu..%zu\n", "own", name.c_str(),
                  "-", "-", steps_[s].scratch_offset, steps_[s].scratch_bytes, s, s);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "steps: %zu, buffers: %d, arena: %zu bytes (%s), of which scratch peak %zu; without "
                "reuse: %zu bytes (%s)\n",
                steps_.size(), buffers, arena_bytes_, HumanBytes(arena_bytes_).c_str(), scratch_bytes_,
                unshared_bytes_, HumanBytes(unshared_bytes_).c_str());
  out += line;
  return out;
}

}  // namespace plateau::planner
