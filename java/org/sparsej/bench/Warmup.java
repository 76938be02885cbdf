package org.sparsej.bench;

/** Untimed repetitions before a benchmark's timed ones: how many ran and for how long. */
public record Warmup(int repetitions, double seconds) {
  /** One untimed repetition; E is what it may throw (nothing checked, for most). */
  public interface Repetition<E extends Exception> {
    void run() throws E;
  }

  /**
   * Runs {@code repetition} at least once and until {@code minSeconds} have passed: on a small model the JIT is
   * still compiling the decode loop for the first seconds, far longer than one repetition takes.
   */
  public static <E extends Exception> Warmup run(double minSeconds, Repetition<E> repetition) throws E {
    long start = System.nanoTime();
    int n = 0;
    do {
      repetition.run();
      n++;
    } while (System.nanoTime() - start < minSeconds * 1e9);
    return new Warmup(n, (System.nanoTime() - start) / 1e9);
  }
}
