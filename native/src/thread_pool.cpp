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

// A job's state in one word, so that claiming a share and checking it belongs to the current job are one atomic
// step: epoch (bits 32-63), share count n (16-31), next unclaimed share (0-15).
constexpr uint64_t job_word(uint64_t epoch, int n, int next) { return epoch << 32 | (uint64_t)n << 16 | (uint64_t)next; }
constexpr uint32_t word_epoch(uint64_t w) { return (uint32_t)(w >> 32); }
constexpr int word_n(uint64_t w) { return (int)(w >> 16 & 0xffff); }
constexpr int word_next(uint64_t w) { return (int)(w & 0xffff); }
constexpr int kMaxShares = 0xffff;

class Pool {
 public:
  void run(int n, ParallelFn fn, void* ctx) {
    std::unique_lock<std::mutex> caller(caller_mutex_, std::try_to_lock);
    if (n <= 1 || !caller.owns_lock()) {
      fn(ctx, 0, 1);
      return;
    }
    if (n > kMaxShares) n = kMaxShares;
    ensure_workers(n - 1);
    fn_ = fn;
    ctx_ = ctx;
    done_.store(0, std::memory_order_relaxed);
    const uint32_t epoch = ++epoch_count_;
    // Share 0 is the caller's; workers claim shares 1..n-1 from the job word.
    job_.store(job_word(epoch, n, 1), std::memory_order_release);
    {
      // Publishing under the mutex means a worker about to sleep either sees the new epoch or gets the notify.
      std::lock_guard<std::mutex> lock(sleep_mutex_);
      epoch_.store(epoch, std::memory_order_release);
    }
    wake_.notify_all();
    fn(ctx, 0, n);
    // Run every share no worker has started yet: on a busy machine a worker may be descheduled for a whole time
    // slice, and waiting for it costs far more than its share. A share computes the same rows whoever runs it.
    int mine = 0;
    for (int t, nt; (t = claim(epoch, &nt)) >= 0; mine++) fn(ctx, t, nt);
    // Only shares a worker has started remain; that worker is running, so this wait is short.
    for (int spins = 0; done_.load(std::memory_order_acquire) + mine != n - 1; spins++) {
      if (spins < 4096) {
        _mm_pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

  void set_worker_delay(int micros) { worker_delay_us_.store(micros < 0 ? 0 : micros); }

  // The pool lives as long as the process (see pool()); workers are detached and end with it.
 private:
  // Called before the next epoch is published: a new worker starts from the current one, so it cannot miss
  // the job about to be posted however late its thread actually starts.
  void ensure_workers(int count) {
    while (workers_ < count) {
      ++workers_;
      uint32_t start = epoch_.load(std::memory_order_relaxed);
      std::thread([this, start] { work(start); }).detach();
    }
  }

  // Claims the next unstarted share of job `epoch`; -1 when none is left or that job is over. A worker that
  // woke late sees another epoch (or no share left) and claims nothing, so it never runs a share twice nor
  // touches a finished job's fn_/ctx_.
  int claim(uint32_t epoch, int* n) {
    uint64_t w = job_.load(std::memory_order_acquire);
    for (;;) {
      if (word_epoch(w) != epoch || word_next(w) >= word_n(w)) return -1;
      if (job_.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        *n = word_n(w);
        return word_next(w);
      }
    }
  }

  [[noreturn]] void work(uint32_t seen) {
    for (;;) {
      seen = wait_for_new_epoch(seen);
      if (int delay = worker_delay_us_.load(std::memory_order_relaxed)) {
        std::this_thread::sleep_for(std::chrono::microseconds(delay));  // test hook: a descheduled worker
      }
      // fn_/ctx_ are read only after a successful claim: the job cannot end before this share is done.
      for (int t, n; (t = claim(seen, &n)) >= 0;) {
        fn_(ctx_, t, n);
        done_.fetch_add(1, std::memory_order_acq_rel);
      }
    }
  }

  uint32_t wait_for_new_epoch(uint32_t seen) {
    auto start = std::chrono::steady_clock::now();
    for (int spins = 0;; spins++) {
      uint32_t now = epoch_.load(std::memory_order_acquire);
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
  uint32_t epoch_count_ = 0;  // written by the caller holding caller_mutex_ only
  std::atomic<uint32_t> epoch_{0};
  std::atomic<uint64_t> job_{0};
  std::atomic<int> done_{0};  // shares 1..n-1 finished by workers
  std::atomic<int> worker_delay_us_{0};
  ParallelFn fn_ = nullptr;
  void* ctx_ = nullptr;
};

// Never destroyed: a JVM may still call kernels while static destructors run at exit.
Pool& pool() {
  static Pool* instance = new Pool();
  return *instance;
}

}  // namespace

void parallel_run(int n_threads, ParallelFn fn, void* ctx) { pool().run(n_threads, fn, ctx); }

}  // namespace sj

extern "C" void sj_pool_test_worker_delay(int micros) { sj::pool().set_worker_delay(micros); }

namespace sj {

int hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : (int)n;
}

int configured_threads() { return sj_get_threads(); }

}  // namespace sj
