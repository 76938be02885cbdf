package org.sparsej.spark;

import java.io.Serializable;
import java.util.List;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.ModelOptions;

/**
 * How a Spark job loads and runs the model: an immutable, serializable value shipped to the executors. Start from
 * {@link #of(String)} and change fields with the {@code with...} methods (from Scala as from Java).
 *
 * <p>The model fields (path, backend, threads, slots) say which model an executor loads; the generation fields
 * (max tokens, temperature, top-p, seed, stop) apply to every row. Every row uses the same seed, so a row's
 * output depends on its prompt only, not on partitioning or task retries.
 *
 * @param modelPath a model every executor can read (HF directory, .gguf, llama2.c .bin): a local or shared path,
 *     or the name of a file shipped with {@code --files} / {@code SparkContext.addFile}
 * @param backend "auto", "cpu" or "java"; null = -Dsparsej.backend, else $SPARSEJ_BACKEND, else auto
 * @param threadsPerExecutor kernel threads of the executor's one model; 0 = every core of the executor's machine
 * @param slots sequences the executor's model decodes in one forward pass (its tasks share them)
 * @param maxTokens most tokens generated per row; -1 = the rest of the context
 * @param temperature 0 = greedy
 * @param topP nucleus sampling cut (1 = off)
 * @param seed seed of every row's sampler
 * @param stop strings that end a row's generation (at most 4), not included in its text
 */
public record SparkOptions(String modelPath, String backend, int threadsPerExecutor, int slots, int maxTokens,
                           float temperature, float topP, long seed, List<String> stop) implements Serializable {
  public SparkOptions {
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  /** The model at a path; auto backend, every core, 8 slots, 64 tokens, greedy, seed 0, no stop strings. */
  public static SparkOptions of(String modelPath) {
    return new SparkOptions(modelPath, null, 0, 8, 64, 0f, 1f, 0L, List.of());
  }

  public SparkOptions withBackend(String name) {
    return new SparkOptions(modelPath, name, threadsPerExecutor, slots, maxTokens, temperature, topP, seed, stop);
  }

  public SparkOptions withThreadsPerExecutor(int n) {
    return new SparkOptions(modelPath, backend, n, slots, maxTokens, temperature, topP, seed, stop);
  }

  public SparkOptions withSlots(int n) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, n, maxTokens, temperature, topP, seed, stop);
  }

  public SparkOptions withMaxTokens(int n) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, slots, n, temperature, topP, seed, stop);
  }

  public SparkOptions withTemperature(float t) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, slots, maxTokens, t, topP, seed, stop);
  }

  public SparkOptions withTopP(float p) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, slots, maxTokens, temperature, p, seed, stop);
  }

  public SparkOptions withSeed(long s) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, slots, maxTokens, temperature, topP, s, stop);
  }

  public SparkOptions withStop(List<String> strings) {
    return new SparkOptions(modelPath, backend, threadsPerExecutor, slots, maxTokens, temperature, topP, seed,
        strings);
  }

  /** Varargs form of {@link #withStop(List)}, handier from Scala. */
  public SparkOptions withStop(String... strings) {
    return withStop(List.of(strings));
  }

  /** The options the executor loads its model with. Many tasks share it, so the queue is long. */
  ModelOptions modelOptions() {
    return ModelOptions.defaults().withBackend(backend).withThreads(threadsPerExecutor).withSlots(slots)
        .withMaxQueued(4096);
  }

  /** The options of each row's generation. */
  GenerationOptions generationOptions() {
    return GenerationOptions.defaults().withMaxTokens(maxTokens).withTemperature(temperature).withTopP(topP)
        .withSeed(seed).withStop(stop);
  }

  /** Rows a task keeps in flight: enough to fill the slots while finished rows are handed back. */
  int window() {
    return Math.max(2, 2 * slots);
  }
}
