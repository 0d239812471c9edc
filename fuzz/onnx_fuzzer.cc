// The ONNX loader (engine/model: protobuf decoding, op validation, the load-time passes) and shape
// inference with memory planning for a concrete input shape, as a user-supplied model goes through them.
// Reference kernels, one thread: nothing runs, only what a load and a plan do. The arena is capped so
// that a model asking for an absurd activation size is refused instead of allocated.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "plateau/engine.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plateau::ModelOptions options;
  options.max_arena_bytes = 64u << 20;
  auto model = plateau::Model::LoadFromBytes(std::string(reinterpret_cast<const char*>(data), size),
                                             "fuzz.onnx", options);
  if (!model.ok()) {
    PLATEAU_FUZZ_CHECK(!model.status().message().empty(), "a refusal says why");
    return 0;
  }
  plateau::SessionOptions session_options;
  session_options.threads = 1;
  session_options.reference_kernels = true;
  auto session = plateau::Session::Create(*model, session_options);
  if (!session.ok()) return 0;
  // Dynamic dims become small sizes; the declared ones are kept, as a caller would pass them.
  std::vector<plateau::Shape> shapes;
  for (size_t i = 0; i < (*model)->input_names().size(); ++i) {
    plateau::Shape shape = (*model)->input_shape(i);
    for (int d = 0; d < shape.rank(); ++d) {
      if (shape[d] < 0) shape[d] = d == 0 ? 1 : 32;
    }
    shapes.push_back(shape);
  }
  auto plan = (*session)->Plan(shapes);
  if (plan.ok()) {
    PLATEAU_FUZZ_CHECK(plan->arena_bytes <= options.max_arena_bytes, "the arena cap holds");
  }
  return 0;
}
