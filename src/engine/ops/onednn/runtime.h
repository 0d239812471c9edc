// OneDnnRuntime: the oneDNN engine and stream a Session runs its kernels on, behind a header that does
// not include dnnl.hpp (so the session layer stays free of it).
#pragma once

#include <memory>

#include "plateau/status.h"

namespace dnnl {
struct engine;
struct stream;
}  // namespace dnnl

namespace plateau::ops::onednn {

class OneDnnRuntime {
 public:
  static StatusOr<std::unique_ptr<OneDnnRuntime>> Create();
  ~OneDnnRuntime();
  dnnl::engine& engine();
  dnnl::stream& stream();
  // Waits for every submitted primitive to finish; oneDNN errors become a Status.
  Status Wait();

 private:
  OneDnnRuntime();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Sets oneDNN's process-wide primitive cache capacity (entries). oneDNN keeps one such cache per
// process; plateau sets it once, explicitly, so that it is bounded whatever the environment says.
void SetPrimitiveCacheCapacity(int capacity);
int GetPrimitiveCacheCapacity();

}  // namespace plateau::ops::onednn
