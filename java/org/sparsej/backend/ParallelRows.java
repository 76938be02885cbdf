package org.sparsej.backend;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.stream.IntStream;

/** Splits [0, n) into one contiguous range per thread and runs them on a private pool. */
final class ParallelRows implements AutoCloseable {
  interface RangeTask {
    void run(int begin, int end);
  }

  private final int threads;
  private final ForkJoinPool pool;

  ParallelRows(int threads) {
    this.threads = threads;
    this.pool = threads > 1 ? new ForkJoinPool(threads) : null;
  }

  int threads() {
    return threads;
  }

  /** Runs task over [0, n); splits only when the work (in multiply-adds) is worth a hand-off. */
  void forRange(int n, long work, RangeTask task) {
    int parts = pool == null || work < (1L << 16) ? 1 : Math.min(threads, n);
    if (parts <= 1) {
      task.run(0, n);
      return;
    }
    ForkJoinTask<?> job = pool.submit(() -> IntStream.range(0, parts).parallel()
        .forEach(p -> task.run((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts))));
    job.join();
  }

  @Override
  public void close() {
    if (pool != null) {
      pool.shutdown();
    }
  }
}
