package org.sparsej.bench;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.sparsej.backend.Backend;
import org.sparsej.generate.Sampler;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/**
 * End-to-end speed: prefill a random prompt, then decode greedily. One untimed warm-up repetition first (JIT,
 * first touch of mapped weights, thread pools), then the timed ones; both the best and the median are reported,
 * since on a shared machine the best alone flatters (best-of-3 once read 1.06x run.c where paired runs read 0.87x).
 */
public final class GenerationBench {
  /** Repetitions run untimed before the timed ones. */
  public static final int WARMUP_REPETITIONS = 1;

  /**
   * Seconds of each timed repetition per phase, the weight bytes one decoded token reads, and the seconds of the
   * warm-up's prefill: the first pass over memory-mapped weights, which faults them in (from disk when not cached).
   */
  public record Result(double[] prefillSeconds, double[] decodeSeconds, int promptTokens, int decodeTokens,
                       long weightBytesPerToken, double firstPrefillSeconds) {
    public double prefillTokensPerSecond() {
      return promptTokens / min(prefillSeconds);
    }

    public double medianPrefillTokensPerSecond() {
      return promptTokens / median(prefillSeconds);
    }

    public double decodeTokensPerSecond() {
      return decodeTokens / min(decodeSeconds);
    }

    public double medianDecodeTokensPerSecond() {
      return decodeTokens / median(decodeSeconds);
    }

    /** Weight GB/s of the best decode repetition. */
    public double decodeGBps() {
      return decodeTokensPerSecond() * weightBytesPerToken / 1e9;
    }

    public double medianDecodeGBps() {
      return medianDecodeTokensPerSecond() * weightBytesPerToken / 1e9;
    }
  }

  private GenerationBench() {}

  public static Result run(LlamaModel model, Backend backend, int promptTokens, int decodeTokens, int repeats,
                           long seed) {
    int vocab = model.config().vocabSize();
    SplittableRandom random = new SplittableRandom(seed);
    int[] prompt = new int[promptTokens];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 3 + random.nextInt(vocab - 3);  // past the control tokens, like real text
    }
    InferenceSession session = model.newSession(backend, Math.min(promptTokens, 128));
    double[] prefill = new double[repeats];
    double[] decode = new double[repeats];
    double firstPrefill = Double.NaN;
    for (int r = -WARMUP_REPETITIONS; r < repeats; r++) {
      session.reset();
      long t0 = System.nanoTime();
      Tensor logits = session.prefill(prompt);
      long t1 = System.nanoTime();
      int token = Sampler.argmax(logits, vocab);
      for (int i = 0; i < decodeTokens; i++) {
        token = Sampler.argmax(session.forward(new int[] {token}, 1, false), vocab);
      }
      long t2 = System.nanoTime();
      if (r >= 0) {
        prefill[r] = (t1 - t0) / 1e9;
        decode[r] = (t2 - t1) / 1e9;
      } else if (r == -WARMUP_REPETITIONS) {
        firstPrefill = (t1 - t0) / 1e9;
      }
    }
    return new Result(prefill, decode, promptTokens, decodeTokens, streamedWeightBytes(model), firstPrefill);
  }

  /**
   * Bytes of weights one decode step reads: every layer's linears and norms, the final norm, the classifier as
   * it is stored, and one row of the embedding table. A tied model whose classifier runs on the table as stored
   * (Q8_0, BF16: GgufModelReader) keeps a widened F32 copy for lookups, of which a token reads one row only.
   */
  public static long streamedWeightBytes(LlamaModel model) {
    LlamaWeights w = model.weights();
    Tensor embedding = w.tokenEmbedding();
    long bytes = w.finalNorm().byteSize() + embedding.byteSize() / model.config().vocabSize();
    LinearWeight classifier = w.classifier();
    bytes += classifier instanceof DenseF32Weight d && d.values() == embedding ? embedding.byteSize()
        : classifier.residentBytes();
    for (LayerWeights l : w.layers()) {
      bytes += l.attentionNorm().byteSize() + l.ffnNorm().byteSize();
      if (l.bq() != null) {
        bytes += l.bq().byteSize() + l.bk().byteSize() + l.bv().byteSize();
      }
      for (LinearWeight lw : List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3())) {
        bytes += lw.residentBytes();
      }
    }
    return bytes;
  }

  static double min(double[] v) {
    return Arrays.stream(v).min().orElse(Double.NaN);
  }

  /** The median (mean of the middle two for an even count). */
  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }
}
