// The test binary's replacement of the global operator new (tests/test_allocator.cc, linked only
// into plateau_tests): it counts every allocation, and can make one allocation of the calling thread
// fail, to prove that failure gives an error rather than a crash.
#pragma once

namespace plateau::testing {

// operator new calls so far, all threads.
long AllocationCount();

// Arms (n > 0) or disarms (n = 0) the failure: the n-th aligned operator new (the std::align_val_t forms,
// which plateau's AlignedAlloc uses for every tensor, arena and packed weight) from now on the calling
// thread fails, returning nullptr or throwing std::bad_alloc. Other threads and plain operator new are
// never affected: oneDNN's primitive cache is not safe against a throwing operator new inside its own
// bookkeeping (its LRU map is left corrupt), so failures are injected where plateau allocates.
void FailNthAlignedAllocationOnThisThread(long n);
// Aligned allocations of the calling thread so far.
long AlignedAllocationCountOnThisThread();
// Whether the armed failure has happened (and so the injection is spent).
bool InjectedFailureHappened();

}  // namespace plateau::testing
