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
 * End-to-end speed: prefill a random prompt, then decode greedily. Untimed warm-up repetitions first (JIT, first
 * touch of mapped weights, thread pools), then the timed ones; both the best and the median are reported, since on
 * a shared machine the best alone flatters (best-of-3 once read 1.06x run.c where paired runs read 0.87x).
 *
 * <p>The warm-up runs for at least a few seconds, not one repetition: on sj-7m a repetition takes 0.3 s, and the
 * JIT is still compiling the decode loop for about 3 s (2 threads, AMD Zen 3: 200-390 tok/s in the first four
 * 256-token runs, 390-510 after), so one warm-up repetition timed the compiler, not the engine. A large model's one
 * repetition outlasts the minimum, so it still warms up once.
 */
public final class GenerationBench {
  /** Default of how long untimed repetitions run (at least one). */
  public static final double DEFAULT_WARMUP_SECONDS = 3;

  /**
   * Seconds of each timed repetition per phase, the weight bytes one decoded token reads, the seconds of the
   * warm-up's first prefill (the first pass over memory-mapped weights, which faults them in, from disk when not
   * cached), and how many warm-up repetitions ran in how many seconds.
   */
  public record Result(double[] prefillSeconds, double[] decodeSeconds, int promptTokens, int decodeTokens,
                       long weightBytesPerToken, double firstPrefillSeconds, int warmupRepetitions,
                       double warmupSeconds) {
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

  /** Warms up for at least warmupSeconds (and one repetition), then times repeats repetitions. */
  public static Result run(LlamaModel model, Backend backend, int promptTokens, int decodeTokens, int repeats,
                           double warmupSeconds, long seed) {
    int vocab = model.config().vocabSize();
    SplittableRandom random = new SplittableRandom(seed);
    int[] prompt = new int[promptTokens];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 3 + random.nextInt(vocab - 3);  // past the control tokens, like real text
    }
    InferenceSession session = model.newSession(backend, Math.min(promptTokens, 128));
    double[] prefill = new double[repeats];
    double[] decode = new double[repeats];
    double[] phases = new double[2];
    double[] firstPrefill = {Double.NaN};
    Warmup warmup = Warmup.run(warmupSeconds, () -> {
      repetition(session, prompt, decodeTokens, vocab, phases);
      if (Double.isNaN(firstPrefill[0])) {
        firstPrefill[0] = phases[0];
      }
    });
    for (int r = 0; r < repeats; r++) {
      repetition(session, prompt, decodeTokens, vocab, phases);
      prefill[r] = phases[0];
      decode[r] = phases[1];
    }
    return new Result(prefill, decode, promptTokens, decodeTokens, streamedWeightBytes(model), firstPrefill[0],
        warmup.repetitions(), warmup.seconds());
  }

  /** One prefill of the prompt and greedy decode of decodeTokens; their seconds into phases[0] and phases[1]. */
  private static void repetition(InferenceSession session, int[] prompt, int decodeTokens, int vocab,
                                 double[] phases) {
    session.reset();
    long t0 = System.nanoTime();
    Tensor logits = session.prefill(prompt);
    long t1 = System.nanoTime();
    int token = Sampler.argmax(logits, vocab);
    for (int i = 0; i < decodeTokens; i++) {
      token = Sampler.argmax(session.forward(new int[] {token}, 1, false), vocab);
    }
    long t2 = System.nanoTime();
    phases[0] = (t1 - t0) / 1e9;
    phases[1] = (t2 - t1) / 1e9;
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
