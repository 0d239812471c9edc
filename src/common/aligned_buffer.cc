#include "common/aligned_buffer.h"

#include <new>

namespace plateau {

void* AlignedAlloc(size_t bytes) {
  size_t rounded = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  if (rounded == 0) rounded = kBufferAlignment;
  // The aligned, non-throwing operator new rather than aligned_alloc: the same heap, but a test binary
  // that replaces operator new sees (and can fail) exactly these allocations.
  return ::operator new (rounded, std::align_val_t{kBufferAlignment}, std::nothrow);
}

void AlignedFree(void* p) {
  if (p != nullptr) ::operator delete (p, std::align_val_t{kBufferAlignment});
}

bool AlignedBuffer::Resize(size_t bytes, bool shrink) {
  if (bytes == size_ || (bytes < size_ && !shrink)) return true;
  Release();
  if (bytes == 0) return true;
  data_ = AlignedAlloc(bytes);
  if (data_ == nullptr) return false;
  size_ = bytes;
  return true;
}

void AlignedBuffer::Release() {
  AlignedFree(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace plateau
