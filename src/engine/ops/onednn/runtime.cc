#include "engine/ops/onednn/runtime.h"

#include <oneapi/dnnl/dnnl.hpp>

namespace plateau::ops::onednn {

struct OneDnnRuntime::Impl {
  dnnl::engine engine;
  dnnl::stream stream;
};

OneDnnRuntime::OneDnnRuntime() = default;
OneDnnRuntime::~OneDnnRuntime() = default;

StatusOr<std::unique_ptr<OneDnnRuntime>> OneDnnRuntime::Create() {
  std::unique_ptr<OneDnnRuntime> rt(new OneDnnRuntime());
  try {
    rt->impl_ = std::make_unique<Impl>();
    rt->impl_->engine = dnnl::engine(dnnl::engine::kind::cpu, 0);
    rt->impl_->stream = dnnl::stream(rt->impl_->engine);
  } catch (const dnnl::error& e) {
    return Status::Internal(std::string("could not create the oneDNN CPU engine: ") + e.what());
  }
  return rt;
}

dnnl::engine& OneDnnRuntime::engine() { return impl_->engine; }
dnnl::stream& OneDnnRuntime::stream() { return impl_->stream; }

Status OneDnnRuntime::Wait() {
  try {
    impl_->stream.wait();
  } catch (const dnnl::error& e) {
    return Status::Internal(std::string("oneDNN stream failed: ") + e.what());
  }
  return Status::Ok();
}

void SetPrimitiveCacheCapacity(int capacity) { dnnl::set_primitive_cache_capacity(capacity); }
int GetPrimitiveCacheCapacity() { return dnnl::get_primitive_cache_capacity(); }

}  // namespace plateau::ops::onednn
