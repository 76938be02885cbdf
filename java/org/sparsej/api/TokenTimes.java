package org.sparsej.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** When each token of one generation was produced (System.nanoTime), kept for its inter-token gaps. */
final class TokenTimes {
  private long[] times = new long[16];
  private int count;

  synchronized void add(long nanos) {
    if (count == times.length) {
      times = Arrays.copyOf(times, count * 2);
    }
    times[count++] = nanos;
  }

  /** The time from each token to the next: one fewer than the tokens. */
  synchronized List<Duration> gaps() {
    List<Duration> gaps = new ArrayList<>(Math.max(0, count - 1));
    for (int i = 1; i < count; i++) {
      gaps.add(Duration.ofNanos(times[i] - times[i - 1]));
    }
    return gaps;
  }
}
