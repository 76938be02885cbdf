package org.sparsej.cli;

import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.bench.GenerationBench;
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

  @Option(names = "--repeat", paramLabel = "N", description = "Repetitions; the best is kept (default: ${DEFAULT-VALUE}).")
  int repeats = 3;

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
    LlamaModel loaded = org.sparsej.model.ModelLoader.load(model);
    if (promptTokens + decodeTokens > loaded.config().seqLen()) {
      throw new org.sparsej.util.SparsejException("--prompt-tokens + --decode-tokens = "
          + (promptTokens + decodeTokens) + " exceeds the model's context of " + loaded.config().seqLen());
    }
    try (Backend backend = backendOptions.open()) {
      double bandwidth = NativeLibrary.available() ? MemoryBandwidth.measureGBps((long) bandwidthMb << 20, 5) : Double.NaN;
      GenerationBench.Result r = GenerationBench.run(loaded, backend, promptTokens, decodeTokens, repeats, 1234);
      System.out.printf("model:     %s (%s)%n", model, loaded.config());
      System.out.printf("backend:   %s%n", backend.describe());
      System.out.printf("prefill:   %.1f tok/s (%d tokens)%n", r.prefillTokensPerSecond(), promptTokens);
      System.out.printf("decode:    %.1f tok/s (%d tokens), %.1f MB of weights per token, %.1f GB/s%n",
          r.decodeTokensPerSecond(), decodeTokens, r.weightBytesPerToken() / 1e6, r.decodeGBps());
      System.out.printf("memory:    %.1f GB/s read bandwidth measured now; decode reaches %.0f%% of it%s%n",
          bandwidth, 100 * r.decodeGBps() / bandwidth,
          r.weightBytesPerToken() < 64_000_000 ? " (weights fit in cache: above 100% is possible)" : "");
    }
    return 0;
  }
}
