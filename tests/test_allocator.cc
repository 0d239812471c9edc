// The one replacement of the global operator new in plateau_tests (see test_allocator.h).
#include "tests/test_allocator.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<long> allocations{0};
thread_local long fail_countdown = 0;  // > 0: the allocation that brings it to 0 fails
thread_local bool failed = false;
thread_local long aligned_allocations = 0;

bool FailThisOne() {
  ++aligned_allocations;
  if (fail_countdown > 0 && --fail_countdown == 0) {
    failed = true;
    return true;
  }
  return false;
}

void* Allocate(std::size_t n, bool nothrow) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr && !nothrow) throw std::bad_alloc();
  return p;
}

void* AllocateAligned(std::size_t n, std::align_val_t align, bool nothrow) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t a = static_cast<std::size_t>(align);
  void* p = FailThisOne() ? nullptr : std::aligned_alloc(a, (n + a - 1) / a * a);
  if (p == nullptr && !nothrow) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace plateau::testing {

long AllocationCount() { return allocations.load(); }
long AlignedAllocationCountOnThisThread() { return aligned_allocations; }

void FailNthAlignedAllocationOnThisThread(long n) {
  fail_countdown = n;
  failed = false;
}

bool InjectedFailureHappened() { return failed; }

}  // namespace plateau::testing

void* operator new(std::size_t n) { return Allocate(n, false); }
void* operator new[](std::size_t n) { return Allocate(n, false); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n, true); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return Allocate(n, true); }
void* operator new(std::size_t n, std::align_val_t a) { return AllocateAligned(n, a, false); }
void* operator new[](std::size_t n, std::align_val_t a) { return AllocateAligned(n, a, false); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, true);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
