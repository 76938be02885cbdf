package org.sparsej.cli;

import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.bench.CacheSize;
import org.sparsej.bench.GenerationBench;
import org.sparsej.bench.MachineInfo;
import org.sparsej.bench.MemoryBandwidth;
import org.sparsej.model.LlamaModel;
import org.sparsej.nativeops.NativeLibrary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** End-to-end prefill and decode speed, with the machine's read bandwidth measured in the same run. */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchKernelsCommand.class, BenchEngineCommand.class},
    description = {"Measure prefill and decode tokens/s of a model; subcommands: kernels, engine, serve.",
        "Random prompt ids, greedy decode; reports the weight bytes streamed per token, and the fraction of this machine's read bandwidth that reaches."})
final class BenchCommand implements Callable<Integer> {
  // Checked in call(), not by picocli: `bench kernels` needs no model, `bench engine` has its own.
  @Option(names = {"-m", "--model"}, paramLabel = "MODEL", description = "Model file (required).")
  java.nio.file.Path model;

  @Mixin BackendOptions backendOptions;

  @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt length (default: ${DEFAULT-VALUE}).")
  int promptTokens = 64;

  @Option(names = "--decode-tokens", paramLabel = "N", description = "Tokens to decode (default: ${DEFAULT-VALUE}).")
  int decodeTokens = 64;

  @Option(names = "--repeat", paramLabel = "N", description = "Timed repetitions, after the untimed --warmup ones; best and median are reported (default: ${DEFAULT-VALUE}).")
  int repeats = 3;

  @Mixin WarmupOption warmup;

  @Option(names = "--bandwidth-mb", paramLabel = "MB",
      description = "Buffer for the read-bandwidth probe; far above the caches (default: ${DEFAULT-VALUE}).")
  int bandwidthMb = 1024;

  @Override
  public Integer call() {
    if (model == null) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "Missing required option: '--model=MODEL' (or use 'bench kernels' or 'bench engine')");
    }
    if (promptTokens < 1 || decodeTokens < 1 || repeats < 1 || bandwidthMb < 1) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--prompt-tokens, --decode-tokens, --repeat and --bandwidth-mb must be positive");
    }
    double warmupSeconds = warmup.seconds();
    long t0 = System.nanoTime();
    LlamaModel loaded = org.sparsej.model.ModelLoader.load(model);
    double loadSeconds = (System.nanoTime() - t0) / 1e9;
    if (promptTokens + decodeTokens > loaded.config().seqLen()) {
      throw new org.sparsej.util.SparsejException("--prompt-tokens + --decode-tokens = "
          + (promptTokens + decodeTokens) + " exceeds the model's context of " + loaded.config().seqLen());
    }
    try (Backend backend = backendOptions.open()) {
      String before = MachineInfo.loadAverage();
      double bandwidth = NativeLibrary.available() ? MemoryBandwidth.measureGBps((long) bandwidthMb << 20, 5) : Double.NaN;
      GenerationBench.Result r = GenerationBench.run(loaded, backend, promptTokens, decodeTokens, repeats,
          warmupSeconds, 1234);
      long cache = CacheSize.lastLevelBytes();
      System.out.printf("model:     %s (%s)%n", model, loaded.config());
      System.out.printf("backend:   %s%n", backend.describe());
      System.out.printf("machine:   %s (before: %s)%n", MachineInfo.line(), before);
      System.out.printf("run:       %d untimed warm-up repetition(s) in %.1f s (--warmup %s: JIT, page-in), "
          + "then %d timed; best and median of the timed%n", r.warmupRepetitions(), r.warmupSeconds(),
          warmupSeconds, repeats);
      // Mapped weights are read on first use, so the load alone understates the time until a model answers:
      // llama.cpp's "load time" likewise ends with its first (warm-up) evaluation.
      System.out.printf("load:      %.2f s to load, %.2f s the first prefill (untimed warm-up, pages the weights "
          + "in): ready in %.2f s%n", loadSeconds, r.firstPrefillSeconds(), loadSeconds + r.firstPrefillSeconds());
      System.out.printf("prefill:   %.1f tok/s best, %.1f median (%d tokens)%n", r.prefillTokensPerSecond(),
          r.medianPrefillTokensPerSecond(), promptTokens);
      System.out.printf("decode:    %.1f tok/s best, %.1f median (%d tokens), %.1f MB of weights read per token, "
          + "%.1f GB/s best, %.1f median%n", r.decodeTokensPerSecond(), r.medianDecodeTokensPerSecond(), decodeTokens,
          r.weightBytesPerToken() / 1e6, r.decodeGBps(), r.medianDecodeGBps());
      System.out.printf("memory:    %.1f GB/s read bandwidth measured now; decode reaches %.0f%% of it (median)%s%n",
          bandwidth, 100 * r.medianDecodeGBps() / bandwidth, cacheNote(r.weightBytesPerToken(), cache));
    }
    return 0;
  }

  /** Why more than 100% of the bandwidth is possible: the weights fit in the last-level cache sysfs reports. */
  static String cacheNote(long weightBytes, long cacheBytes) {
    if (cacheBytes <= 0) {
      return " (last-level cache size unknown: above 100% would mean the weights stay in cache)";
    }
    return weightBytes < cacheBytes ? String.format(" (weights %.1f MB fit in the %d MiB last-level cache: above "
        + "100%% is possible)", weightBytes / 1e6, cacheBytes >> 20) : "";
  }
}
