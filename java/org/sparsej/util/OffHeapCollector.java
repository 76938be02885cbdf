package org.sparsej.util;

/**
 * Off-heap memory that Java code drops (direct buffers, file mappings) leaves the process only when the garbage
 * collector finds its buffer objects unreachable, and a loader that allocates little on the heap may not trigger a
 * collection for gigabytes: the resident set grows toward the dense model's size. Callers report the off-heap
 * bytes they let go of; past a threshold, one full collection returns them.
 */
public final class OffHeapCollector {
  private final long thresholdBytes;
  private long dropped;

  public OffHeapCollector(long thresholdBytes) {
    this.thresholdBytes = thresholdBytes;
  }

  /** {@code bytes} of off-heap memory just became unreachable. */
  public synchronized void dropped(long bytes) {
    dropped += bytes;
    if (dropped > thresholdBytes) {
      dropped = 0;
      System.gc();
    }
  }
}
