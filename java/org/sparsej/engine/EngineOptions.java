package org.sparsej.engine;

import org.sparsej.util.SparsejException;

/**
 * How an {@link Engine} batches.
 *
 * @param slots sequences decoded together (each may grow to the model's full context)
 * @param tokenBudget most tokens in one forward pass: every running sequence's decode step first, then prompt
 *     chunks of the sequences still reading their prompt
 * @param kvBudgetBytes total KV-cache memory of all sequences; 0 = derive a default from free memory
 * @param maxQueued requests waiting beyond the slots before {@link Engine#submit} refuses
 */
public record EngineOptions(int slots, int tokenBudget, long kvBudgetBytes, int maxQueued) {
  public EngineOptions {
    if (slots < 1) {
      throw new SparsejException("slots must be at least 1, got " + slots);
    }
    if (tokenBudget < 1) {
      throw new SparsejException("token budget must be at least 1, got " + tokenBudget);
    }
    if (kvBudgetBytes < 0) {
      throw new SparsejException("kv budget must be >= 0 bytes (0 = automatic), got " + kvBudgetBytes);
    }
    if (maxQueued < 0) {
      throw new SparsejException("queue length must be >= 0, got " + maxQueued);
    }
  }

  /** 8 slots, 256 tokens per pass, automatic KV budget, 64 queued. */
  public static EngineOptions defaults() {
    return new EngineOptions(8, 256, 0, 64);
  }

  public EngineOptions withSlots(int n) {
    return new EngineOptions(n, tokenBudget, kvBudgetBytes, maxQueued);
  }

  public EngineOptions withTokenBudget(int n) {
    return new EngineOptions(slots, n, kvBudgetBytes, maxQueued);
  }

  public EngineOptions withKvBudgetBytes(long bytes) {
    return new EngineOptions(slots, tokenBudget, bytes, maxQueued);
  }

  public EngineOptions withMaxQueued(int n) {
    return new EngineOptions(slots, tokenBudget, kvBudgetBytes, n);
  }
}
