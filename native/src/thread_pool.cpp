#include "thread_pool.h"

#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "sparsej/dispatch.h"

namespace sj {
namespace {

// How long an idle worker spins before sleeping: longer than the gap between two kernel calls of a forward pass,
// far shorter than anything a user would notice as a busy core.
constexpr auto kSpin = std::chrono::microseconds(2000);

class Pool {
 public:
  void run(int n, ParallelFn fn, void* ctx) {
    std::unique_lock<std::mutex> caller(caller_mutex_, std::try_to_lock);
    if (n <= 1 || !caller.owns_lock()) {
      fn(ctx, 0, 1);
      return;
    }
    ensure_workers(n - 1);
    fn_ = fn;
    ctx_ = ctx;
    n_ = n;
    pending_.store(n - 1, std::memory_order_relaxed);
    {
      // Publishing under the mutex means a worker about to sleep either sees the new epoch or gets the notify.
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      epoch_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    fn(ctx, 0, n);
    // On an oversubscribed machine the worker we wait for may be descheduled: stop burning our slice soon.
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins < 4096) {
        _mm_pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

  // The pool lives as long as the process (see pool()); workers are detached and end with it.
 private:
  // Called before the next epoch is published: a new worker starts from the current one, so it cannot miss
  // the job about to be posted however late its thread actually starts.
  void ensure_workers(int count) {
    while (workers_ < count) {
      int index = ++workers_;
      uint64_t start = epoch_.load(std::memory_order_relaxed);
      std::thread([this, index, start] { work(index, start); }).detach();
    }
  }

  [[noreturn]] void work(int index, uint64_t seen) {
    for (;;) {
      seen = wait_for_new_epoch(seen);
      if (index < n_) {
        fn_(ctx_, index, n_);
        pending_.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  uint64_t wait_for_new_epoch(uint64_t seen) {
    auto start = std::chrono::steady_clock::now();
    for (int spins = 0;; spins++) {
      uint64_t now = epoch_.load(std::memory_order_acquire);
      if (now != seen) return now;
      if (spins < 4096) {
        _mm_pause();
      } else {
        std::this_thread::yield();  // let a descheduled thread run if the machine is oversubscribed
      }
      if ((spins & 255) == 255 && std::chrono::steady_clock::now() - start > kSpin) break;
    }
    std::unique_lock<std::mutex> lock(sleep_mutex_);
    wake_.wait(lock, [&] { return epoch_.load(std::memory_order_acquire) != seen; });
    return epoch_.load(std::memory_order_acquire);
  }

  std::mutex caller_mutex_;
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
  int workers_ = 0;
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int> pending_{0};
  ParallelFn fn_ = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0;
};

// Never destroyed: a JVM may still call kernels while static destructors run at exit.
Pool& pool() {
  static Pool* instance = new Pool();
  return *instance;
}

}  // namespace

void parallel_run(int n_threads, ParallelFn fn, void* ctx) { pool().run(n_threads, fn, ctx); }

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : (int)n;
}

int configured_threads() { return sj_get_threads(); }

}  // namespace sj
