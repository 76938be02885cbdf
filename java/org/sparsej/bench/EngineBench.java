package org.sparsej.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.sparsej.backend.Backend;
import org.sparsej.engine.Engine;
import org.sparsej.engine.EngineOptions;
import org.sparsej.engine.SequenceListener;
import org.sparsej.engine.SequenceRequest;
import org.sparsej.engine.SequenceResult;
import org.sparsej.model.LlamaModel;

/**
 * Aggregate decode throughput of the engine with N concurrent sequences: N random prompts submitted at once, all
 * decoding greedily for the same number of tokens, so after their prompts they step together, one token each per
 * pass. Decode tokens/s counts the tokens emitted between the moment the last sequence got its first token and
 * the last token; the time per kind of op over those passes says what limits them.
 */
public final class EngineBench {
  /** One concurrency level's figures. */
  public record Result(int sequences, double decodeTokensPerSecond, double msPerPass, long decodeTokens,
                       Map<String, Long> decodeNanosByKind, double decodeSeconds) {
    /** Share of the decode time spent in one kind of op. */
    public double share(String kind) {
      return decodeNanosByKind.getOrDefault(kind, 0L) / (decodeSeconds * 1e9);
    }
  }

  /** Weight bytes one pass streams (every layer, the final norm, the classifier), whatever its batch. */
  public static long weightBytesPerPass(LlamaModel model) {
    return GenerationBench.streamedWeightBytes(model);
  }

  private EngineBench() {}

  public static Result run(LlamaModel model, Backend backend, int sequences, int promptTokens, int decodeTokens,
                           long seed) throws Exception {
    int vocab = model.config().vocabSize();
    SplittableRandom random = new SplittableRandom(seed);
    TimedBackend timed = new TimedBackend(backend);
    // Every sequence in one pass while decoding; prompts in passes of up to 256 tokens.
    EngineOptions options = new EngineOptions(sequences, Math.max(sequences, 256), 0, 0);
    long[][] times = new long[sequences][decodeTokens];
    int[] counts = new int[sequences];
    long[] timedFrom = {Long.MAX_VALUE};
    int[] started = {0};
    try (Engine engine = new Engine(model, timed, options)) {
      List<CompletableFuture<SequenceResult>> done = new ArrayList<>();
      for (int s = 0; s < sequences; s++) {
        int[] prompt = new int[promptTokens];
        prompt[0] = 1;
        for (int i = 1; i < promptTokens; i++) {
          prompt[i] = 3 + random.nextInt(vocab - 3);  // past the control tokens, like real text
        }
        int id = s;
        done.add(engine.submit(SequenceRequest.greedy(prompt, decodeTokens), new SequenceListener() {
          @Override
          public boolean onToken(int token) {
            long now = System.nanoTime();
            if (counts[id] == 0 && ++started[0] == sequences) {
              timed.reset();  // the passes from here on are decode passes over all sequences
              timedFrom[0] = now;
            }
            times[id][counts[id]++] = now;
            return true;
          }

          @Override
          public void onFinished(SequenceResult result) {}

          @Override
          public void onError(RuntimeException error) {}
        }).completion());
      }
      for (CompletableFuture<SequenceResult> f : done) {
        f.get();
      }
    }
    long from = timedFrom[0];
    long to = 0;
    long tokens = 0;
    for (int s = 0; s < sequences; s++) {
      for (int i = 0; i < counts[s]; i++) {
        if (times[s][i] > from) {
          tokens++;
          to = Math.max(to, times[s][i]);
        }
      }
    }
    double seconds = (to - from) / 1e9;
    double passes = (double) tokens / sequences;
    return new Result(sequences, tokens / seconds, seconds * 1e3 / passes, tokens, timed.nanosByKind(), seconds);
  }
}
