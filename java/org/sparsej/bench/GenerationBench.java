package org.sparsej.bench;

import java.util.SplittableRandom;
import org.sparsej.backend.Backend;
import org.sparsej.generate.Sampler;
import org.sparsej.model.InferenceSession;
import org.sparsej.model.LlamaModel;
import org.sparsej.tensor.Tensor;

/** End-to-end speed: prefill a random prompt, then decode greedily; best of several repetitions. */
public final class GenerationBench {
  /** Tokens per second of each phase, and weight bytes streamed per decoded token. */
  public record Result(double prefillTokensPerSecond, double decodeTokensPerSecond, long weightBytesPerToken) {
    public double decodeGBps() {
      return decodeTokensPerSecond * weightBytesPerToken / 1e9;
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
    long bestPrefill = Long.MAX_VALUE;
    long bestDecode = Long.MAX_VALUE;
    for (int r = 0; r < repeats; r++) {
      session.reset();
      long t0 = System.nanoTime();
      Tensor logits = session.prefill(prompt);
      long t1 = System.nanoTime();
      int token = Sampler.argmax(logits, vocab);
      for (int i = 0; i < decodeTokens; i++) {
        token = Sampler.argmax(session.forward(new int[] {token}, 1, false), vocab);
      }
      long t2 = System.nanoTime();
      bestPrefill = Math.min(bestPrefill, t1 - t0);
      bestDecode = Math.min(bestDecode, t2 - t1);
    }
    return new Result(promptTokens / (bestPrefill / 1e9), decodeTokens / (bestDecode / 1e9),
        streamedWeightBytes(model));
  }

  /** Bytes of weights one decode step reads: every layer, the final norm and the classifier. */
  static long streamedWeightBytes(LlamaModel model) {
    long all = model.weights().residentBytes();
    long embedding = model.weights().tokenEmbedding().byteSize();
    // A tied classifier is the embedding table, read in full each step; an untied one is counted in `all`.
    return model.config().sharedClassifier() ? all : all - embedding;
  }

}
