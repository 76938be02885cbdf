package org.sparsej.api;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Scores a long token stream window by window (the rule of eval/Perplexity and of the usual GPT-2/Llama
 * perplexity scripts): windows of {@code window - 1} ids start every {@code stride} ids, each scored from an empty
 * cache as [BOS] + window; position p of a window predicts ids[start + p], counted only if no earlier window did.
 * Up to one window per slot runs at a time; results are summed in window order, so the total does not depend on
 * timing.
 */
final class WindowedScore {
  private record Window(int start, int end, Generation generation) {}

  private final Model model;
  private final int[] ids;
  private final int window;
  private final int stride;

  WindowedScore(Model model, int[] ids, int window, int stride) {
    int ctx = model.contextLength();
    if (window < 2 || window > ctx) {
      throw invalid("window " + window + " outside 2.." + ctx + " (the model's context)");
    }
    if (stride < 1 || stride > window - 1) {
      throw invalid("stride " + stride + " outside 1.." + (window - 1) + " (window - 1)");
    }
    if (ids.length == 0) {
      throw invalid("no tokens to score (empty text)");
    }
    this.model = model;
    this.ids = ids;
    this.window = window;
    this.stride = stride;
  }

  private static ModelException invalid(String message) {
    return new ModelException(ModelException.Kind.INVALID_REQUEST, message);
  }

  Score run(Model.ScoreProgress progress) {
    double[] logprobs = new double[ids.length];
    int scoredUpTo = 0;  // ids [0, scoredUpTo) are predicted
    int nextStart = 0;
    int inFlightLimit = Math.max(1, model.options().slots());
    Deque<Window> inFlight = new ArrayDeque<>();
    double sum = 0;
    try {
      while (scoredUpTo < ids.length) {
        while (inFlight.size() < inFlightLimit && (inFlight.isEmpty() ? scoredUpTo : inFlight.peekLast().end())
            < ids.length) {
          int start = nextStart;
          int end = Math.min(start + window - 1, ids.length);
          int[] tokens = new int[end - start + 1];
          tokens[0] = model.bos();
          System.arraycopy(ids, start, tokens, 1, end - start);
          inFlight.addLast(new Window(start, end, model.startScoring(tokens)));
          nextStart += stride;
        }
        Window w = inFlight.removeFirst();
        double[] lp = w.generation().awaitLogprobs();
        for (int p = 0; p < w.end() - w.start(); p++) {
          int target = w.start() + p;
          if (target >= scoredUpTo) {
            logprobs[target] = lp[p];
            sum += lp[p];
          }
        }
        scoredUpTo = w.end();
        if (progress != null) {
          progress.update(scoredUpTo, ids.length, new Score(Arrays.copyOf(logprobs, scoredUpTo), sum));
        }
      }
    } finally {
      inFlight.forEach(w -> w.generation().cancel());
    }
    return new Score(logprobs, sum);
  }
}
