package org.sparsej.eval;

import java.util.Arrays;
import org.sparsej.backend.Backend;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LlamaModel;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Perplexity of a model over a token stream, scored window by window.
 *
 * <p>The window rule is the one of ../shared/reference/sj-7m-ppl.json (and of the usual GPT-2/Llama evaluation
 * scripts): the ids (no BOS) are cut into windows of {@code ctx - 1} ids; each window is run from an empty cache as
 * [BOS] + window, so every id of the stream is predicted, the first of each window from BOS alone. With a stride
 * smaller than {@code ctx - 1}, windows start every {@code stride} ids and overlap; only the ids no earlier window
 * scored are counted, so each id is still predicted exactly once but with up to {@code ctx - 1 - stride} ids of
 * extra context. ppl = exp(mean negative log-likelihood), log-softmax in double.
 */
public final class Perplexity {
  /** Called after each window with the ids scored so far, out of the total, and the running result. */
  public interface Progress {
    void update(long scored, long total, Result running);
  }

  /** The mean negative log-likelihood per predicted id and how many ids were predicted. */
  public record Result(double nllSum, long tokens) {
    public double nllPerToken() {
      return tokens == 0 ? Double.NaN : nllSum / tokens;
    }

    public double ppl() {
      return Math.exp(nllPerToken());
    }
  }

  private final LlamaModel model;
  private final Backend backend;
  private final int ctx;
  private final int stride;
  private final int batch;

  /**
   * @param ctx window length in positions, BOS included (at most the model's context)
   * @param stride ids between window starts; {@code ctx - 1} (or 0) gives non-overlapping windows
   */
  public Perplexity(LlamaModel model, Backend backend, int ctx, int stride) {
    int seq = model.config().seqLen();
    if (ctx < 2 || ctx > seq) {
      throw new SparsejException("context " + ctx + " outside 2.." + seq + " (the model's context)");
    }
    int s = stride <= 0 ? ctx - 1 : stride;
    if (s > ctx - 1) {
      throw new SparsejException("stride " + s + " exceeds the window of ctx-1 = " + (ctx - 1) + " ids");
    }
    this.model = model;
    this.backend = backend;
    this.ctx = ctx;
    this.stride = s;
    this.batch = Math.min(64, ctx);
  }

  /** Scores {@code ids} (the text's ids without BOS) with {@code bos} before each window. */
  public Result evaluate(int[] ids, int bos, Progress progress) {
    if (ids.length == 0) {
      throw new SparsejException("no tokens to evaluate (empty text)");
    }
    InferenceSession session = model.newSession(backend, batch);
    int vocab = model.config().vocabSize();
    double nllSum = 0;
    long scored = 0;
    int scoredUpTo = 0;  // ids [0, scoredUpTo) have been predicted
    for (int start = 0; scoredUpTo < ids.length; start += stride) {
      int end = Math.min(start + ctx - 1, ids.length);
      int[] window = new int[end - start + 1];
      window[0] = bos;
      System.arraycopy(ids, start, window, 1, end - start);
      session.reset();
      // Position p of the window (p = 0 is BOS) predicts window[p + 1] = ids[start + p].
      for (int p0 = 0; p0 < window.length - 1; p0 += batch) {
        int n = Math.min(batch, window.length - 1 - p0);
        Tensor logits = session.forward(Arrays.copyOfRange(window, p0, p0 + n), n, true);
        for (int i = 0; i < n; i++) {
          int target = start + p0 + i;
          if (target >= scoredUpTo) {
            nllSum += negativeLogLikelihood(logits, i, vocab, ids[target]);
            scored++;
          }
        }
      }
      scoredUpTo = end;
      if (progress != null) {
        progress.update(scored, ids.length, new Result(nllSum, scored));
      }
    }
    return new Result(nllSum, scored);
  }

  /** -log softmax(logits[row])[target], in double. */
  static double negativeLogLikelihood(Tensor logits, int row, int vocab, int target) {
    long base = (long) row * vocab;
    double max = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < vocab; v++) {
      max = Math.max(max, logits.getFloat(base + v));
    }
    double sum = 0;
    for (int v = 0; v < vocab; v++) {
      sum += Math.exp(logits.getFloat(base + v) - max);
    }
    return Math.log(sum) + max - logits.getFloat(base + target);
  }
}
