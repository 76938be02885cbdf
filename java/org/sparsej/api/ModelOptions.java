package org.sparsej.api;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * How to load and serve a model: an immutable value; start from {@link #defaults()} and change fields with the
 * {@code with...} methods.
 *
 * @param backend "auto", "cpu", "java" or "cuda"; null = -Dsparsej.backend, else $SPARSEJ_BACKEND, else auto
 * @param threads threads for the kernels; 0 = every core
 * @param slots sequences decoded together in one forward pass
 * @param tokenBudget most tokens in one forward pass (prompt chunks and decode steps together)
 * @param kvBudgetBytes KV-cache memory for all sequences together; 0 = derived from free memory
 * @param maxQueued requests that may wait for a slot before new ones are refused
 * @param contextLength longest sequence (prompt + generated) accepted; 0 = the model's context
 * @param tokenizer tokenizer file; null = the model's own (tokenizer.json, GGUF-embedded, tokenizer.bin beside it)
 * @param chatTemplate "llama2", "llama3", "chatml" or "zephyr"; null = detected from the model, else llama2
 * @param log receives the few lines loading reports (which backend was chosen and why)
 */
public record ModelOptions(String backend, int threads, int slots, int tokenBudget, long kvBudgetBytes,
                           int maxQueued, int contextLength, Path tokenizer, String chatTemplate,
                           Consumer<String> log) {
  /** Auto backend, every core, 8 slots, 256 tokens per pass, automatic KV budget, 64 queued, silent. */
  public static ModelOptions defaults() {
    return new ModelOptions(null, 0, 8, 256, 0, 64, 0, null, null, line -> { });
  }

  public ModelOptions withBackend(String name) {
    return new ModelOptions(name, threads, slots, tokenBudget, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withThreads(int n) {
    return new ModelOptions(backend, n, slots, tokenBudget, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withSlots(int n) {
    return new ModelOptions(backend, threads, n, tokenBudget, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withTokenBudget(int n) {
    return new ModelOptions(backend, threads, slots, n, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withKvBudgetBytes(long bytes) {
    return new ModelOptions(backend, threads, slots, tokenBudget, bytes, maxQueued, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withMaxQueued(int n) {
    return new ModelOptions(backend, threads, slots, tokenBudget, kvBudgetBytes, n, contextLength, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withContextLength(int n) {
    return new ModelOptions(backend, threads, slots, tokenBudget, kvBudgetBytes, maxQueued, n, tokenizer,
        chatTemplate, log);
  }

  public ModelOptions withTokenizer(Path file) {
    return new ModelOptions(backend, threads, slots, tokenBudget, kvBudgetBytes, maxQueued, contextLength, file,
        chatTemplate, log);
  }

  public ModelOptions withChatTemplate(String name) {
    return new ModelOptions(backend, threads, slots, tokenBudget, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        name, log);
  }

  public ModelOptions withLog(Consumer<String> sink) {
    return new ModelOptions(backend, threads, slots, tokenBudget, kvBudgetBytes, maxQueued, contextLength, tokenizer,
        chatTemplate, sink);
  }

  void validate() {
    check(threads >= 0, "threads must be >= 0 (0 = every core), got " + threads);
    check(slots >= 1, "slots must be at least 1, got " + slots);
    check(tokenBudget >= 1, "token budget must be at least 1, got " + tokenBudget);
    check(kvBudgetBytes >= 0, "KV budget must be >= 0 (0 = automatic), got " + kvBudgetBytes);
    check(maxQueued >= 0, "queue length must be >= 0, got " + maxQueued);
    check(contextLength >= 0, "context length must be >= 0 (0 = the model's), got " + contextLength);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, message);
    }
  }
}
