package org.sparsej.generate;

import org.sparsej.model.InferenceSession;
import org.sparsej.tensor.Tensor;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.util.SparsejException;

/** Prompt in, tokens out: prefill the prompt in batches, then decode one token at a time. */
public final class Generator {
  /** Receives each generated token as it is produced. */
  public interface TokenListener {
    void onToken(int prevToken, int token);
  }

  /** What a generation produced and how fast. */
  public record Result(int[] promptTokens, int[] generatedTokens, long prefillNanos, long decodeNanos) {
    public double prefillTokensPerSecond() {
      return promptTokens.length / (prefillNanos / 1e9);
    }

    /** Decode speed over the tokens after the first (the first comes out of prefill). */
    public double decodeTokensPerSecond() {
      return generatedTokens.length <= 1 ? Double.NaN : (generatedTokens.length - 1) / (decodeNanos / 1e9);
    }
  }

  private final InferenceSession session;
  private final Tokenizer tokenizer;

  public Generator(InferenceSession session, Tokenizer tokenizer) {
    this.session = session;
    this.tokenizer = tokenizer;
  }

  /**
   * Generates up to {@code steps} tokens after the prompt (steps < 0: until the context is full), stopping early
   * at end-of-sequence when {@code stopAtEos}.
   */
  public Result generate(String prompt, int steps, Sampler sampler, boolean stopAtEos, TokenListener listener) {
    int[] promptTokens = tokenizer.encode(prompt, true, false);
    return generate(promptTokens, steps, sampler, stopAtEos, listener);
  }

  public Result generate(int[] promptTokens, int steps, Sampler sampler, boolean stopAtEos,
                         TokenListener listener) {
    int context = session.config().seqLen();
    if (promptTokens.length >= context) {
      throw new SparsejException("prompt is " + promptTokens.length + " tokens, too long for the model's context of "
          + context + " (at most " + (context - 1) + " leave room to generate)");
    }
    int room = context - promptTokens.length;
    if (steps > room) {
      throw new SparsejException("prompt (" + promptTokens.length + " tokens) + " + steps
          + " steps exceeds the model's context of " + context + " (use -n " + room + " or less)");
    }
    int toGenerate = steps < 0 ? room : steps;
    int vocab = session.config().vocabSize();
    session.reset();
    sampler.begin(promptTokens);

    long t0 = System.nanoTime();
    Tensor logits = session.prefill(promptTokens);
    int token = sampler.sample(logits, vocab);
    long t1 = System.nanoTime();

    int[] generated = new int[toGenerate];
    int count = 0;
    int prev = promptTokens[promptTokens.length - 1];
    while (count < toGenerate) {
      generated[count++] = token;
      listener.onToken(prev, token);
      if (stopAtEos && (token == tokenizer.eos() || token == tokenizer.bos()) || count == toGenerate) {
        break;
      }
      prev = token;
      logits = session.forward(new int[] {token}, 1, false);
      token = sampler.sample(logits, vocab);
    }
    long t2 = System.nanoTime();
    return new Result(promptTokens, java.util.Arrays.copyOf(generated, count), t1 - t0, t2 - t1);
  }
}
