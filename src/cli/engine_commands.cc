#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/commands.h"
#include "cli/flags.h"
#include "common/process_memory.h"
#include "io/npy.h"
#include "plateau/engine.h"

namespace plateau::cli {
namespace {

int Fail(const Status& s) {
  std::cerr << "plateau: " << s.ToString() << "\n";
  return 1;
}

std::string SanitizeFileName(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    if (c == '/' || c == '\\' || c == ':' || c == ' ') c = '_';
  }
  return out;
}

const std::vector<FlagSpec> kThreadsFlag = {
    {"threads", "intra-op threads (0 = all cores)", false, false, {}},
    {"reference", "use the naive reference kernels instead of oneDNN (slow; for checking)", false, true, {}}};

std::vector<FlagSpec> With(std::vector<FlagSpec> a, const std::vector<FlagSpec>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool WantsHelp(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "--help") != args.end() ||
         std::find(args.begin(), args.end(), "-h") != args.end();
}

StatusOr<std::vector<Shape>> ParseShapes(const Flags& flags) {
  std::vector<Shape> shapes;
  for (const std::string& text : flags.GetAll("shape")) {
    auto s = Shape::Parse(text);
    if (!s.ok()) return s.status().WithContext("flag --shape");
    shapes.push_back(*s);
  }
  if (shapes.empty()) return Status::InvalidArgument("flag --shape is required (e.g. 1x3x960x736)");
  return shapes;
}

StatusOr<std::unique_ptr<Session>> OpenSession(const Flags& flags, std::shared_ptr<const Model>* model) {
  PLATEAU_ASSIGN_OR_RETURN(std::string path, flags.Require("model"));
  PLATEAU_ASSIGN_OR_RETURN(long long threads, flags.GetInt("threads", 0, 0, 1024));
  PLATEAU_ASSIGN_OR_RETURN(*model, Model::Load(path));
  SessionOptions options;
  options.threads = static_cast<int>(threads);
  options.reference_kernels = flags.Has("reference");
  return Session::Create(*model, options);
}

}  // namespace

int RunModelCommand(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs =
      With({{"model", "ONNX model file", false, false, {}},
            {"input", "NAME=file.npy (NAME may be omitted for a one-input model)", true, false, {"i"}},
            {"output", "directory for the outputs, one NAME.npy each", false, false, {"o"}}},
           kThreadsFlag);
  if (WantsHelp(args)) {
    std::cout << "usage: plateau run_model --model F --input NAME=in.npy --output DIR\n" << FlagsHelp(specs);
    return 0;
  }
  auto flags = Flags::Parse(specs, args, 2);
  if (!flags.ok()) return Fail(flags.status());
  auto out_dir = flags->Require("output");
  if (!out_dir.ok()) return Fail(out_dir.status());
  if (flags->GetAll("input").empty()) return Fail(Status::InvalidArgument("flag --input is required"));
  std::shared_ptr<const Model> model;
  auto session = OpenSession(*flags, &model);
  if (!session.ok()) return Fail(session.status());

  std::vector<std::string> names = model->input_names();
  std::vector<Tensor> tensors(names.size());
  std::vector<bool> given(names.size(), false);
  for (const std::string& spec : flags->GetAll("input")) {
    size_t eq = spec.find('=');
    std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
    std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
    size_t index = names.size();
    if (name.empty() && names.size() == 1) index = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) index = i;
    }
    if (index == names.size()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      return Fail(Status::NotFound("flag --input '" + spec + "': the model has no input named '" + name +
                                   "' (inputs: " + known + ")"));
    }
    auto t = io::ReadNpy(file);
    if (!t.ok()) return Fail(t.status());
    tensors[index] = std::move(t).value();
    given[index] = true;
  }
  std::vector<TensorView> inputs;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!given[i])
      return Fail(Status::InvalidArgument("no --input given for model input '" + names[i] + "'"));
    inputs.push_back(tensors[i].view());
  }
  std::vector<TensorView> outputs;
  Status st = (*session)->Run(inputs, &outputs);
  if (!st.ok()) return Fail(st);
  std::error_code ec;
  std::filesystem::create_directories(*out_dir, ec);
  if (ec)
    return Fail(
        Status::InvalidArgument("cannot create output directory '" + *out_dir + "': " + ec.message()));
  std::vector<std::string> out_names = model->output_names();
  nlohmann::json report = nlohmann::json::array();
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string path = (std::filesystem::path(*out_dir) / (SanitizeFileName(out_names[i]) + ".npy")).string();
    st = io::WriteNpy(path, outputs[i]);
    if (!st.ok()) return Fail(st);
    report.push_back({{"name", out_names[i]}, {"shape", outputs[i].shape.ToString()}, {"file", path}});
  }
  std::cout << nlohmann::json{{"outputs", report}}.dump() << "\n";
  return 0;
}

int BenchmarkCommand(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs =
      With({{"model", "ONNX model file", false, false, {}},
            {"shape", "input shape NxCxHxW (one per model input)", true, false, {}},
            {"iterations", "timed runs after the first (default 10)", false, false, {}},
            {"profile", "print a per-node time table on stderr", false, true, {}}},
           kThreadsFlag);
  if (WantsHelp(args)) {
    std::cout << "usage: plateau benchmark --model F --shape NxCxHxW [--threads T] [--iterations K]\n"
              << FlagsHelp(specs);
    return 0;
  }
  auto flags = Flags::Parse(specs, args, 2);
  if (!flags.ok()) return Fail(flags.status());
  auto shapes = ParseShapes(*flags);
  if (!shapes.ok()) return Fail(shapes.status());
  auto iterations = flags->GetInt("iterations", 10, 1, 1000000);
  if (!iterations.ok()) return Fail(iterations.status());
  std::shared_ptr<const Model> model;
  auto session = OpenSession(*flags, &model);
  if (!session.ok()) return Fail(session.status());

  // Refuse shapes the engine cannot plan before allocating any input for them. Then forget that plan,
  // and oneDNN's cached primitives with it, so that the first timed run builds everything for the shape
  // as a new shape would (the weights stay packed: that is done once per model, not per shape).
  auto planned = (*session)->Plan(*shapes);
  if (!planned.ok()) return Fail(planned.status());
  (*session)->Trim();
  ReleaseCachedPrimitives();

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<Tensor> tensors;
  std::vector<TensorView> inputs;
  for (const Shape& s : *shapes) {
    auto t = Tensor::Zeros(DType::kFloat32, s);
    if (!t.ok()) return Fail(t.status());
    float* p = t->as<float>();
    for (int64_t i = 0; i < s.num_elements(); ++i) p[i] = dist(rng);
    tensors.push_back(std::move(t).value());
    inputs.push_back(tensors.back().view());
  }
  std::vector<TensorView> outputs;
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  Status st = (*session)->Run(inputs, &outputs);
  if (!st.ok()) return Fail(st);
  double first_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::vector<double> times;
  for (long long i = 0; i < *iterations; ++i) {
    auto t = Clock::now();
    st = (*session)->Run(inputs, &outputs);
    if (!st.ok()) return Fail(st);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
  }
  std::vector<double> sorted = times;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                    : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
  if (flags->Has("profile")) {
    (*session)->set_profiling(true);
    st = (*session)->Run(inputs, &outputs);
    if (!st.ok()) return Fail(st);
    const auto& prof = (*session)->last_profile();
    double total = 0;
    for (const auto& p : prof) total += p.ms;
    std::vector<size_t> idx(prof.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::fprintf(stderr, "%-5s %-28s %-20s %-18s %-30s %3s %9s %7s\n", "step", "node", "op", "output", "impl",
                 "thr", "ms", "share");
    for (size_t i : idx) {
      const auto& p = prof[i];
      std::fprintf(stderr, "%-5zu %-28.28s %-20.20s %-18s %-30.30s %3d %9.3f %6.1f%%\n", i, p.node.c_str(),
                   p.op_type.c_str(), p.output_shape.ToString().c_str(), p.impl.c_str(), p.threads, p.ms,
                   total > 0 ? 100.0 * p.ms / total : 0.0);
    }
    std::fprintf(stderr, "total %.3f ms over %zu kernels (timed one by one)\n", total, prof.size());
  }
  ProcessMemory mem = ReadProcessMemory();
  SessionStats stats = (*session)->stats();
  std::string shape_text;
  for (const Shape& s : *shapes) shape_text += (shape_text.empty() ? "" : ",") + s.ToString();
  nlohmann::json out = {
      {"model", model->path()},
      {"shape", shape_text},
      {"threads", flags->GetInt("threads", 0, 0, 1024).value()},
      {"iterations", *iterations},
      {"first_ms", first_ms},
      {"median_ms", median},
      {"min_ms", sorted.front()},
      {"max_ms", sorted.back()},
      {"arena_bytes", stats.arena_bytes},
      {"weights_bytes", model->weights_bytes()},
      {"rss_bytes", mem.rss_bytes},
      {"peak_rss_bytes", mem.peak_rss_bytes},
  };
  std::cout << out.dump() << "\n";
  return 0;
}

int PlanCommand(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs =
      With({{"model", "ONNX model file", false, false, {}},
            {"shape", "input shape NxCxHxW (one per model input)", true, false, {}}},
           kThreadsFlag);
  if (WantsHelp(args)) {
    std::cout << "usage: plateau plan --model F --shape NxCxHxW\n" << FlagsHelp(specs);
    return 0;
  }
  auto flags = Flags::Parse(specs, args, 2);
  if (!flags.ok()) return Fail(flags.status());
  auto shapes = ParseShapes(*flags);
  if (!shapes.ok()) return Fail(shapes.status());
  std::shared_ptr<const Model> model;
  auto session = OpenSession(*flags, &model);
  if (!session.ok()) return Fail(session.status());
  auto plan = (*session)->Plan(*shapes);
  if (!plan.ok()) return Fail(plan.status());
  std::cout << plan->text;
  std::cout << "weights: " << model->weights_bytes() << " bytes\n";
  return 0;
}

}  // namespace plateau::cli
