package org.sparsej.bench;

import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** Read bandwidth of this machine: the best of several native sums over a buffer far larger than any cache. */
public final class MemoryBandwidth {
  private MemoryBandwidth() {}

  /** GB/s (1e9 bytes/s) reading {@code bytes} with the native kernels' current thread count. */
  public static double measureGBps(long bytes, int passes) {
    NativeLibrary.require();
    int floats = Math.toIntExact(bytes / 4);
    Tensor buffer = Tensor.allocate(DType.F32, floats);
    for (int i = 0; i < floats; i += 1024) {
      buffer.setFloat(i, 1f);  // touch every page so the first pass does not measure page faults
    }
    double best = 0;
    double sink = 0;
    for (int p = 0; p < passes; p++) {
      long t0 = System.nanoTime();
      sink += SparsejNative.sj_sum_f32(buffer.address(), floats);
      long t1 = System.nanoTime();
      best = Math.max(best, (double) floats * 4 / (t1 - t0));
    }
    if (sink != (double) passes * ((floats + 1023) / 1024)) {
      throw new IllegalStateException("bandwidth probe summed " + sink + ": kernel error");
    }
    return best;
  }
}
