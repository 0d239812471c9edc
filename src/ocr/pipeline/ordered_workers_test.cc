#include "ocr/pipeline/ordered_workers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace plateau::ocr {
namespace {

using Workers = OrderedWorkers<int>;

// A source of `n` tasks; task i returns i after `work(i, worker)`.
template <typename Work>
Workers::Source Counting(int n, int* next, Work work) {
  return [n, next, work]() -> std::optional<Workers::Task> {
    if (*next >= n) return std::nullopt;
    const int i = (*next)++;
    return [i, work](size_t worker) {
      work(i, worker);
      return i;
    };
  };
}

std::vector<int> Drain(Workers& workers) {
  std::vector<int> out;
  while (std::optional<int> r = workers.Next()) out.push_back(*r);
  return out;
}

TEST(OrderedWorkersTest, ResultsComeInTheSourcesOrderWhateverTheirDurations) {
  int next = 0;
  std::vector<std::atomic<int>> by_worker(3);
  Workers workers(3, 6, Counting(200, &next, [&](int i, size_t worker) {
                    ++by_worker[worker];
                    // Later tasks often finish before earlier ones.
                    std::this_thread::sleep_for(std::chrono::microseconds((i * 7919) % 1500));
                  }));
  const std::vector<int> out = Drain(workers);
  ASSERT_EQ(out.size(), 200u);
  for (int i = 0; i < 200; ++i) ASSERT_EQ(out[i], i);
  EXPECT_EQ(by_worker[0] + by_worker[1] + by_worker[2], 200);
  EXPECT_LE(workers.max_held(), 6u);
  EXPECT_FALSE(workers.Next().has_value());  // stays at the end
}

// No task starts while `window` results are held: the running ones, the finished ones and the one the
// caller has not yet stepped past.
TEST(OrderedWorkersTest, NoTaskStartsBeyondTheWindow) {
  constexpr int kWindow = 4;
  std::atomic<int> stepped_past{0};  // results the caller is done with (raised before it asks again)
  std::atomic<bool> beyond{false};
  int next = 0;
  Workers workers(3, kWindow, Counting(300, &next, [&](int i, size_t) {
                    if (i >= stepped_past.load() + kWindow) beyond = true;
                    std::this_thread::sleep_for(std::chrono::microseconds((i * 31) % 400));
                  }));
  for (int expected = 0;; ++expected) {
    if (expected > 0) ++stepped_past;
    std::optional<int> r = workers.Next();
    if (!r) break;
    ASSERT_EQ(*r, expected);
    // A slow caller: the workers run ahead and wait.
    if (expected % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(beyond);
  EXPECT_LE(workers.max_held(), static_cast<size_t>(kWindow));
}

// While the oldest task is slow, the other workers go on with the next ones, up to the window.
TEST(OrderedWorkersTest, OtherWorkersGoAheadOfASlowFirstTask) {
  constexpr int kWindow = 4;
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool saw_the_window_full = false;
  int next = 0;
  Workers workers(2, kWindow, Counting(10, &next, [&](int i, size_t) {
                    std::unique_lock<std::mutex> lock(mu);
                    ++started;
                    cv.notify_all();
                    if (i == 0) {
                      saw_the_window_full =
                          cv.wait_for(lock, std::chrono::seconds(30), [&] { return started == kWindow; });
                    }
                  }));
  EXPECT_EQ(Drain(workers), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(saw_the_window_full);
}

TEST(OrderedWorkersTest, NothingRunsBeforeTheFirstNext) {
  std::atomic<int> calls{0};
  int next = 0;
  Workers workers(2, 4, Counting(5, &next, [&](int, size_t) { ++calls; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(next, 0);
  EXPECT_EQ(Drain(workers).size(), 5u);
  EXPECT_EQ(calls, 5);
}

TEST(OrderedWorkersTest, AnEmptySourceEndsAtOnce) {
  int next = 0;
  Workers workers(4, 8, Counting(0, &next, [](int, size_t) {}));
  EXPECT_FALSE(workers.Next().has_value());
  EXPECT_FALSE(workers.Next().has_value());
}

TEST(OrderedWorkersTest, OneWorkerAndAWindowOfOneRunInTurn) {
  int next = 0;
  std::atomic<int> running{0};
  std::atomic<bool> overlapped{false};
  Workers workers(1, 1, Counting(20, &next, [&](int, size_t) {
                    if (++running > 1) overlapped = true;
                    --running;
                  }));
  const std::vector<int> out = Drain(workers);
  EXPECT_EQ(out.size(), 20u);
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(workers.max_held(), 1u);
}

// Destroyed before the end: the tasks running finish, no new one starts, the threads are joined.
TEST(OrderedWorkersTest, StoppingEarlyFinishesTheRunningTasksOnly) {
  std::atomic<int> started{0}, finished{0};
  int next = 0;
  {
    Workers workers(2, 4, Counting(1000, &next, [&](int, size_t) {
                      ++started;
                      std::this_thread::sleep_for(std::chrono::milliseconds(2));
                      ++finished;
                    }));
    ASSERT_EQ(workers.Next(), 0);
    ASSERT_EQ(workers.Next(), 1);
  }
  EXPECT_EQ(started.load(), finished.load());
  EXPECT_LE(started.load(), 2 + 4);  // the two handed out and at most a window beyond them
}

}  // namespace
}  // namespace plateau::ocr
