package org.sparsej.train;

import java.nio.file.Path;

/**
 * One fine-tuning run's settings, as {@code sparsej finetune}'s options or a recipe's train stage give them; both
 * hand them to the same run (cli/FinetuneRun). A null field takes its default there ({@link #DEFAULT_BATCH} ...).
 *
 * @param steps     updates (Long.MAX_VALUE: until the time limit)
 * @param seqLen    positions per window, BOS first (null: min(128, the model's context))
 * @param teacher   the model to distil (null for ce)
 */
public record FinetuneSettings(Path data, Path teacher, LossKind loss, long steps, int batch, Integer seqLen,
                               float lr, int warmup, float weightDecay, long seed, int heldOut, int evalEvery,
                               int checkpointEvery, double timeLimitSeconds) {
  public static final int DEFAULT_BATCH = 4;
  public static final int DEFAULT_HELD_OUT = 4096;
  public static final float DEFAULT_LR = 1e-3f;
  public static final int DEFAULT_WARMUP = 20;
  public static final int DEFAULT_EVAL_EVERY = 50;

  /** The first problem with these values as a sentence naming the option, or null. */
  public String problem() {
    if (steps < 1) {
      return "steps must be positive, got " + steps;
    }
    if (batch < 1) {
      return "batch must be positive, got " + batch;
    }
    if (!(lr > 0 && Float.isFinite(lr))) {
      return "lr must be a positive number, got " + lr;
    }
    if (warmup < 0 || evalEvery < 0 || checkpointEvery < 0 || heldOut < 0) {
      return "warmup, eval-every, checkpoint-every and heldout must be non-negative";
    }
    if (!(weightDecay >= 0 && weightDecay < 1)) {
      return "weight-decay must be in [0, 1), got " + weightDecay;
    }
    if (!(timeLimitSeconds > 0)) {
      return "time-limit must be a positive number of minutes, got " + timeLimitSeconds / 60;
    }
    if (loss.needsTeacher() && teacher == null) {
      return "loss " + name(loss) + " distils a teacher: give the teacher model";
    }
    return null;
  }

  /** The loop's options: warm-up at most a tenth of the steps, cosine to a tenth of lr, clip at norm 1. */
  public Trainer.Options trainerOptions() {
    return new Trainer.Options(steps, lr, (int) Math.min(warmup, Math.max(0, steps / 10)), 0.1f, 1.0,
        timeLimitSeconds, evalEvery, checkpointEvery, new AdamW.Settings(0.9f, 0.999f, 1e-8f, weightDecay));
  }

  /** ce, kd or kd+squarehead, as --loss spells it. */
  public static String name(LossKind kind) {
    return switch (kind) {
      case CE -> "ce";
      case KD -> "kd";
      case KD_SQUAREHEAD -> "kd+squarehead";
    };
  }
}
