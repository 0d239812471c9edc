#include "common/aligned_buffer.h"

#include <cstdlib>

namespace plateau {

void* AlignedAlloc(size_t bytes) {
  size_t rounded = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  if (rounded == 0) rounded = kBufferAlignment;
  return std::aligned_alloc(kBufferAlignment, rounded);
}

void AlignedFree(void* p) { std::free(p); }

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
