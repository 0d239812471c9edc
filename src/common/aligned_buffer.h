// Aligned heap memory, and AlignedBuffer: one owner of a resizable aligned block.
#pragma once

#include <cstddef>
#include <utility>

namespace plateau {

inline constexpr size_t kBufferAlignment = 64;

// Returns nullptr when the allocation fails (never throws). Free with AlignedFree.
void* AlignedAlloc(size_t bytes);
void AlignedFree(void* p);

// Sole owner of one aligned block. Reserve() grows it (contents are not kept), Release() hands it back.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { Release(); }
  AlignedBuffer(AlignedBuffer&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept {
    if (this != &o) {
      Release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // Makes the block exactly `bytes` long if it is smaller or `shrink` is set; returns false (and holds
  // nothing) if the allocation fails.
  bool Resize(size_t bytes, bool shrink = false);
  void Release();

  void* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace plateau
