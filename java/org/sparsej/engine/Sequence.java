package org.sparsej.engine;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.sparsej.generate.Sampler;
import org.sparsej.model.KvCache;

/**
 * One request inside the engine: its progress through the prompt, what it generated, its own sampler and KV
 * cache. Fields other than {@link #cancelled} are touched only by the engine's thread.
 */
final class Sequence implements SequenceHandle {
  final SequenceRequest request;
  final SequenceListener listener;
  final Sampler sampler;
  final int[] prompt;
  final int[] stops;
  final long submitNanos;
  final CompletableFuture<SequenceResult> completion = new CompletableFuture<>();
  private final Engine engine;
  volatile boolean cancelled;

  long admitNanos = -1;
  long firstTokenNanos = -1;
  KvCache cache;
  int promptDone;          // prompt tokens already in the cache
  int[] generated;
  int generatedCount;
  final double[] logprobs;  // null unless asked
  boolean finished;
  boolean running;         // holds a slot

  Sequence(Engine engine, SequenceRequest request, SequenceListener listener, long submitNanos) {
    this.engine = engine;
    this.request = request;
    this.listener = listener;
    this.prompt = request.promptTokens().clone();
    this.stops = request.stopTokens() == null ? new int[0] : request.stopTokens().clone();
    Arrays.sort(stops);
    this.sampler = request.sampling().newSampler();
    sampler.begin(prompt);  // the repeat penalty counts the prompt's tokens too
    this.submitNanos = submitNanos;
    this.generated = new int[Math.min(Math.max(request.maxNewTokens(), 1), 64)];
    this.logprobs = request.promptLogprobs() ? new double[prompt.length - 1] : null;
  }

  /** Positions the cache must be able to hold: the prompt, and every generated token but the last one. */
  int neededTokens() {
    return prompt.length + Math.max(0, request.maxNewTokens() - 1);
  }

  boolean inPrompt() {
    return promptDone < prompt.length;
  }

  /** Tokens in the cache. */
  int position() {
    return promptDone + Math.max(0, generatedCount - 1);
  }

  /** True when the prompt's last row must be sampled from (it is not only scored). */
  boolean generates() {
    return request.maxNewTokens() > 0;
  }

  void addGenerated(int token) {
    if (generatedCount == generated.length) {
      generated = Arrays.copyOf(generated, generated.length * 2);
    }
    generated[generatedCount++] = token;
  }

  int lastGenerated() {
    return generated[generatedCount - 1];
  }

  boolean isStop(int token) {
    return Arrays.binarySearch(stops, token) >= 0;
  }

  SequenceResult result(FinishReason reason, long now) {
    long queued = admitNanos < 0 ? now - submitNanos : admitNanos - submitNanos;
    return new SequenceResult(prompt.clone(), Arrays.copyOf(generated, generatedCount), reason, logprobs,
        sampler.topLogits() > 0 ? sampler.topLogitIds() : null,
        sampler.topLogits() > 0 ? sampler.topLogitValues() : null, queued,
        firstTokenNanos < 0 ? -1 : firstTokenNanos - submitNanos, now - submitNanos);
  }

  @Override
  public void cancel() {
    if (!cancelled) {
      cancelled = true;
      engine.wake();
    }
  }

  @Override
  public CompletableFuture<SequenceResult> completion() {
    return completion;
  }
}
