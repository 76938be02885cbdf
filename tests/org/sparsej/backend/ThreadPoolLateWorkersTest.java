package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.SparsityMasks;
import org.sparsej.weights.WeightFormat;

/**
 * The native pool must not wait on a worker that is not running (on a busy machine it may be descheduled for a
 * whole time slice): the caller runs every share no worker has started. The test hook makes workers sleep after
 * each wake-up, as a descheduled worker would; results must stay bit-identical to one thread, since a share
 * computes the same rows whoever runs it.
 */
class ThreadPoolLateWorkersTest {
  private static final int ROWS = 301;
  private static final int COLS = 515;
  private static final int BATCH = 3;

  @AfterEach
  void hookOff() {
    SparsejNative.sj_pool_test_worker_delay(0);
  }

  private static Tensor run(CpuBackend cpu, LinearWeight w, Tensor x) {
    Tensor out = RandomTensors.poisoned(BATCH, ROWS);
    cpu.matmul(out, x, w, BATCH);
    return out;
  }

  private static void assertSame(Tensor expected, Tensor actual, String what) {
    for (long i = 0; i < (long) BATCH * ROWS; i++) {
      assertEquals(expected.getFloat(i), actual.getFloat(i), 0, what + ": output " + i);
    }
  }

  private static LinearWeight[] weights(RandomTensors random) {
    Tensor dense = random.uniform(ROWS, COLS);
    return new LinearWeight[] {
      WeightFormat.DENSE_F32.fromDense(dense, null),
      WeightFormat.SPARSE_BITMASK_F32.fromDense(dense, SparsityMasks.random(ROWS, COLS, 0.5, 3)),
    };
  }

  /** The reference: each weight against x on one thread, which never uses the pool. */
  private static Tensor[] onOneThread(LinearWeight[] ws, Tensor x) {
    Tensor[] out = new Tensor[ws.length];
    try (CpuBackend one = new CpuBackend(1)) {
      for (int i = 0; i < ws.length; i++) {
        out[i] = run(one, ws[i], x);
      }
    }
    return out;
  }

  @Test
  void passDoesNotWaitForWorkersThatAreAsleep() {
    RandomTensors random = new RandomTensors(41);
    LinearWeight[] ws = weights(random);
    Tensor x = random.uniform(BATCH, COLS);
    Tensor[] expected = onOneThread(ws, x);
    try (CpuBackend cpu = new CpuBackend(4)) {
      final int delayMicros = 200_000;
      final int passes = 10;
      SparsejNative.sj_pool_test_worker_delay(delayMicros);
      long start = System.nanoTime();
      for (int p = 0; p < passes; p++) {
        for (int i = 0; i < ws.length; i++) {
          assertSame(expected[i], run(cpu, ws[i], x), ws[i].format().id() + " pass " + p);
        }
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      // Waiting on a sleeping worker would cost 200 ms a pass (4 s in all); the work itself is well under 1 ms.
      assertTrue(elapsedMs < (long) passes * ws.length * delayMicros / 1000 / 4,
          "passes took " + elapsedMs + " ms: the caller waited for sleeping workers");
    }
  }

  @Test
  void workersLateByAnyAmountGiveTheSameRows() {
    RandomTensors random = new RandomTensors(42);
    LinearWeight[] ws = weights(random);
    Tensor x = random.uniform(BATCH, COLS);
    Tensor[] expected = onOneThread(ws, x);
    // Delays around one pass's length: some shares run on workers, others on the caller, in every mix.
    try (CpuBackend cpu = new CpuBackend(3)) {
      for (int delay : new int[] {0, 1, 20, 100, 500}) {
        SparsejNative.sj_pool_test_worker_delay(delay);
        for (int p = 0; p < 200; p++) {
          for (int i = 0; i < ws.length; i++) {
            assertSame(expected[i], run(cpu, ws[i], x), ws[i].format().id() + " delay " + delay + " pass " + p);
          }
        }
      }
    }
  }

  @Test
  void concurrentCallersGetTheirOwnRows() throws Exception {
    RandomTensors random = new RandomTensors(43);
    LinearWeight[] ws = weights(random);
    Tensor[] xs = new Tensor[6];
    Tensor[][] expected = new Tensor[xs.length][ws.length];
    for (int c = 0; c < xs.length; c++) {
      xs[c] = random.uniform(BATCH, COLS);
      expected[c] = onOneThread(ws, xs[c]);
    }
    // One caller holds the pool at a time; the others run alone. With late workers too, every mix of shares.
    SparsejNative.sj_pool_test_worker_delay(50);
    ExecutorService callers = Executors.newFixedThreadPool(xs.length);
    try (CpuBackend cpu = new CpuBackend(3)) {
      List<Future<?>> done = new ArrayList<>();
      for (int c = 0; c < xs.length; c++) {
        final int caller = c;
        done.add(callers.submit(() -> {
          for (int p = 0; p < 100; p++) {
            for (int i = 0; i < ws.length; i++) {
              assertSame(expected[caller][i], run(cpu, ws[i], xs[caller]), "caller " + caller + " pass " + p);
            }
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      callers.shutdown();
    }
  }
}
