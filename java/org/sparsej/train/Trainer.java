package org.sparsej.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sparsej.util.SparsejException;

/**
 * The training loop: batch → gradient → clip → AdamW at the scheduled rate, with held-out perplexity every K
 * steps, a checkpoint every K steps, a time limit that stops cleanly, and a stop on a non-finite loss that leaves
 * the last good checkpoint alone. Knows nothing of models: the gradient and the evaluation come as functions.
 */
public final class Trainer {
  /** Fills every parameter's gradient for a batch and returns the batch's loss. */
  @FunctionalInterface
  public interface BatchGradient {
    double run(int[][] tokens);
  }

  /** The held-out perplexity of the current parameters (NaN when there is no held-out text). */
  @FunctionalInterface
  public interface Evaluator {
    double heldOutPerplexity();
  }

  /** What the loop reports as it goes (a progress bar, a log). */
  public interface Listener {
    default void stepped(long step, long steps, double loss, float lr, double gradNorm, double tokensPerSecond) {}

    default void evaluated(long step, double perplexity) {}

    default void checkpointed(long step, Path dir) {}
  }

  /**
   * @param steps            updates in all (Long.MAX_VALUE: until the time limit)
   * @param warmupSteps      linear warm-up steps
   * @param floorFraction    the cosine ends at lr * floorFraction
   * @param clipNorm         global gradient-norm limit (Double.POSITIVE_INFINITY: none)
   * @param timeLimitSeconds the whole run's budget, resumed runs included (Double.POSITIVE_INFINITY: none)
   * @param evalEvery        held-out perplexity every this many steps (0: only at the start and the end)
   * @param checkpointEvery  a checkpoint every this many steps (0: only at the end)
   */
  public record Options(long steps, float lr, int warmupSteps, float floorFraction, double clipNorm,
                        double timeLimitSeconds, int evalEvery, int checkpointEvery, AdamW.Settings adam) {}

  /** How a run ended. */
  public record Result(long steps, boolean timedOut, double lastLoss, double lastPerplexity, double seconds) {}

  private static final String CSV_HEADER = "step,tokens,seconds,loss,lr,grad_norm,heldout_ppl\n";

  private final List<Parameter> parameters;
  private final TrainingData data;
  private final BatchGradient gradient;
  private final Evaluator evaluator;
  private final Options options;
  private final Path checkpointDir;
  private final Map<String, String> described;
  private final Listener listener;
  private final AdamW adam;
  private final LrSchedule schedule;
  private final StringBuilder csv = new StringBuilder(CSV_HEADER);
  private long step;
  private double elapsedBefore;  // seconds spent by the runs this one resumes
  private long lastCheckpoint = -1;
  private long lastEvaluated = -1;

  /**
   * @param described the run's options as text, stored in every checkpoint (the command compares them on resume)
   */
  public Trainer(List<Parameter> parameters, TrainingData data, BatchGradient gradient, Evaluator evaluator,
                 Options options, Path checkpointDir, Map<String, String> described, Listener listener) {
    this.parameters = List.copyOf(parameters);
    this.data = data;
    this.gradient = gradient;
    this.evaluator = evaluator;
    this.options = options;
    this.checkpointDir = checkpointDir;
    this.described = Map.copyOf(described);
    this.listener = listener;
    this.adam = new AdamW(parameters, options.adam());
    this.schedule = new LrSchedule(options.lr(), options.warmupSteps(), options.lr() * options.floorFraction());
  }

  /** Continues from a checkpoint (its parameters, moments, step, clock and log); returns its state. */
  public Checkpoint.State resume(Path dir) {
    Checkpoint.State s = Checkpoint.load(dir, parameters, adam);
    step = s.step();
    elapsedBefore = s.elapsedSeconds();
    csv.setLength(0);
    csv.append(s.csv().isEmpty() ? CSV_HEADER : s.csv());
    lastCheckpoint = step;
    return s;
  }

  /** Optimizer state in floats (2 per trained entry). */
  public long optimizerStateFloats() {
    return adam.stateFloats();
  }

  /** The log so far as CSV: one row per step, the held-out perplexity on the rows where it was measured. */
  public String csv() {
    return csv.toString();
  }

  /** Runs until options.steps() or the time limit; throws {@link Diverged} on a non-finite loss. */
  public Result run() {
    long start = System.nanoTime();
    double lastLoss = Double.NaN;
    double lastPpl = Double.NaN;
    if (step == 0) {
      lastPpl = evaluate(0, 0, 0, Double.NaN, Double.NaN, Double.NaN);
    }
    boolean timedOut = false;
    long tokensPerStep = (long) data.batchSize() * data.seqLen();
    while (step < options.steps()) {
      double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
      if (elapsed >= options.timeLimitSeconds()) {
        timedOut = true;
        break;
      }
      long t0 = System.nanoTime();
      double progress = Math.max(options.steps() == Long.MAX_VALUE ? 0 : (double) step / options.steps(),
          elapsed / options.timeLimitSeconds());
      float lr = schedule.at(step, progress);
      double loss = gradient.run(data.batch(step));
      double norm = GradientClipping.clip(parameters, options.clipNorm());
      if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
        throw new Diverged(String.format(Locale.ROOT, "the loss became %s at step %d (learning rate %.3g): "
            + "stopped, nothing written; %s", Double.isFinite(loss) ? "finite but the gradient " + norm : loss,
            step + 1, lr, lastCheckpoint < 0 ? "no checkpoint was written yet"
                : "the last good checkpoint is " + checkpointDir + " (step " + lastCheckpoint + "), resume it "
                + "with a lower --lr"));
      }
      adam.step(lr);
      step++;
      lastLoss = loss;
      double seconds = (System.nanoTime() - t0) / 1e9;
      listener.stepped(step, options.steps(), loss, lr, norm, tokensPerStep / seconds);
      double now = elapsedBefore + (System.nanoTime() - start) / 1e9;
      boolean evalNow = options.evalEvery() > 0 && step % options.evalEvery() == 0;
      if (evalNow) {
        lastPpl = evaluate(step, step * tokensPerStep, now, loss, lr, norm);
      } else {
        row(step, step * tokensPerStep, now, loss, lr, norm, Double.NaN);
      }
      if (options.checkpointEvery() > 0 && step % options.checkpointEvery() == 0 && step < options.steps()) {
        checkpoint(elapsedBefore + (System.nanoTime() - start) / 1e9);
      }
    }
    double total = elapsedBefore + (System.nanoTime() - start) / 1e9;
    if (lastEvaluated != step) {  // the end of a run always has a perplexity
      lastPpl = evaluate(step, step * tokensPerStep, total, Double.NaN, Double.NaN, Double.NaN);
    }
    checkpoint(total);
    return new Result(step, timedOut, lastLoss, lastPpl, total);
  }

  private double evaluate(long s, long tokens, double seconds, double loss, double lr, double norm) {
    double ppl = evaluator.heldOutPerplexity();
    lastEvaluated = s;
    listener.evaluated(s, ppl);
    row(s, tokens, seconds, loss, lr, norm, ppl);
    return ppl;
  }

  private void row(long s, long tokens, double seconds, double loss, double lr, double norm, double ppl) {
    csv.append(String.format(Locale.ROOT, "%d,%d,%.3f,%s,%s,%s,%s%n", s, tokens, seconds, num(loss), num(lr),
        num(norm), num(ppl)));
  }

  private static String num(double x) {
    return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.6g", x);
  }

  private void checkpoint(double elapsed) {
    if (checkpointDir == null) {
      return;
    }
    Checkpoint.save(checkpointDir, parameters, adam, new Checkpoint.State(step, elapsed, described, csv()));
    lastCheckpoint = step;
    listener.checkpointed(step, checkpointDir);
  }

  /** A non-finite loss or gradient: the run stopped, its message says where the last good state is. */
  public static final class Diverged extends SparsejException {
    Diverged(String message) {
      super(message);
    }
  }
}
