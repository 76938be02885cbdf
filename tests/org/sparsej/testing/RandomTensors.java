package org.sparsej.testing;

import java.util.SplittableRandom;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** Seeded random tensors (never all zeros) and NaN-poisoned outputs for kernel tests. */
public final class RandomTensors {
  private final SplittableRandom random;

  public RandomTensors(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** Uniform values in [-1, 1). */
  public Tensor uniform(int... shape) {
    Tensor t = Tensor.allocate(DType.F32, shape);
    for (long i = 0; i < t.size(); i++) {
      t.setFloat(i, (float) (random.nextDouble() * 2 - 1));
    }
    return t;
  }

  /** An output buffer full of NaN: a kernel that skips an element leaves a NaN behind. */
  public static Tensor poisoned(int... shape) {
    return Tensor.allocate(DType.F32, shape).fill(Float.NaN);
  }

  public static Tensor copy(Tensor t) {
    Tensor c = Tensor.allocate(t.dtype(), t.shape());
    c.bytes().put(t.bytes());
    return c;
  }

  public int nextInt(int bound) {
    return random.nextInt(bound);
  }
}
