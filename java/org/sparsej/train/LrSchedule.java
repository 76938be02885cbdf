package org.sparsej.train;

/**
 * Linear warm-up from 0 to the peak over the first steps, then cosine decay from the peak to a floor. The decay
 * follows a progress fraction in [0, 1] rather than a step count, so that a run bounded by time rather than steps
 * still ends at the floor: the trainer passes max(step / steps, elapsed / time limit).
 */
public record LrSchedule(float peak, int warmupSteps, float floor) {
  public LrSchedule {
    if (!(peak > 0) || !Float.isFinite(peak)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + peak);
    }
    if (warmupSteps < 0 || !(floor >= 0 && floor <= peak)) {
      throw new IllegalArgumentException("warm-up " + warmupSteps + ", floor " + floor + " for peak " + peak);
    }
  }

  /** The rate of update number {@code step} (0-based), at {@code progress} in [0, 1] of the run. */
  public float at(long step, double progress) {
    if (step < warmupSteps) {
      return peak * (step + 1) / warmupSteps;
    }
    double p = Math.min(1, Math.max(0, progress));
    return (float) (floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
  }
}
