package org.sparsej.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.bench.EngineBench;
import org.sparsej.bench.Warmup;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Aggregate decode tokens/s of the batching engine at several numbers of concurrent sequences. */
@Command(name = "engine", mixinStandardHelpOptions = true,
    description = {"Aggregate decode tokens/s of the engine (continuous batching) with N concurrent sequences:",
        "random prompts, greedy decode, every sequence in each pass; what share of the time goes to each kind of op."})
final class BenchEngineCommand implements Callable<Integer> {
  @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true, description = "Model file or directory.")
  java.nio.file.Path model;

  @Mixin BackendOptions backendOptions;

  @Option(names = "--sequences", split = ",", paramLabel = "N",
      description = "Concurrent sequences to measure (default: 1,4,16,64).")
  List<Integer> sequences = List.of(1, 4, 16, 64);

  @Option(names = "--prompt-tokens", paramLabel = "N", description = "Prompt length (default: ${DEFAULT-VALUE}).")
  int promptTokens = 16;

  @Option(names = "--decode-tokens", paramLabel = "N", description = "Tokens each sequence decodes (default: ${DEFAULT-VALUE}).")
  int decodeTokens = 32;

  @Option(names = "--rounds", paramLabel = "N", description = "Rounds over all --sequences; each keeps its best round, "
      + "so a burst of other work on the machine does not skew one row (default: ${DEFAULT-VALUE}).")
  int rounds = 1;

  @Mixin WarmupOption warmup;

  @Override
  public Integer call() throws Exception {
    if (promptTokens < 1 || decodeTokens < 2 || rounds < 1 || sequences.stream().anyMatch(n -> n < 1)) {
      throw new ParameterException(new picocli.CommandLine(this),
          "--prompt-tokens, --rounds and --sequences must be positive, --decode-tokens at least 2");
    }
    double warmupSeconds = warmup.seconds();
    LlamaModel loaded = ModelLoader.load(model);
    if (promptTokens + decodeTokens > loaded.config().seqLen()) {
      throw new org.sparsej.util.SparsejException("--prompt-tokens + --decode-tokens = " + (promptTokens + decodeTokens)
          + " exceeds the model's context of " + loaded.config().seqLen());
    }
    long weightBytes = EngineBench.weightBytesPerPass(loaded);
    long flopsPerToken = 2 * loaded.config().streamedParametersPerToken();
    try (Backend backend = backendOptions.open()) {
      System.out.printf("model:    %s (%s)%n", model, loaded.config());
      System.out.printf("backend:  %s%n", backend.describe());
      System.out.printf("machine:  %s%n", org.sparsej.bench.MachineInfo.line());
      // Untimed runs at the first count of sequences until --warmup has passed (and one), so that the first row
      // does not time the JIT compiling the decode loop (on sj-7m, its first 3 s).
      Warmup w = Warmup.run(warmupSeconds, () -> EngineBench.run(loaded, backend, sequences.get(0), promptTokens,
          decodeTokens, 1234));
      System.out.printf("run:      %d-token prompts, %d decoded tokens each, greedy; best of %d round(s), after %d "
          + "untimed warm-up run(s) in %.1f s (--warmup %s)%n%n", promptTokens, decodeTokens, rounds,
          w.repetitions(), w.seconds(), warmupSeconds);
      System.out.println("| sequences | decode tok/s | x one sequence | ms per pass | weights GB/s | GFLOP/s "
          + "| matmul | attention | rope, norms | other ops | outside ops |");
      System.out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
      EngineBench.Result[] best = new EngineBench.Result[sequences.size()];
      for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < best.length; i++) {
          EngineBench.Result r = EngineBench.run(loaded, backend, sequences.get(i), promptTokens, decodeTokens, 1234);
          if (best[i] == null || r.decodeTokensPerSecond() > best[i].decodeTokensPerSecond()) {
            best[i] = r;
          }
        }
      }
      double single = Double.NaN;
      for (EngineBench.Result r : best) {
        int n = r.sequences();
        if (n == 1) {
          single = r.decodeTokensPerSecond();
        }
        double passesPerSecond = 1e3 / r.msPerPass();
        double ops = r.share("matmul") + r.share("attention") + r.share("rope") + r.share("norm") + r.share("other");
        System.out.printf("| %d | %.1f | %s | %.1f | %.1f | %.1f | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.0f%% |%n", n,
            r.decodeTokensPerSecond(), Double.isNaN(single) ? "-" : String.format("%.2f", r.decodeTokensPerSecond() / single),
            r.msPerPass(), weightBytes * passesPerSecond / 1e9, flopsPerToken * r.decodeTokensPerSecond() / 1e9,
            100 * r.share("matmul"), 100 * r.share("attention"), 100 * (r.share("rope") + r.share("norm")),
            100 * r.share("other"), 100 * (1 - ops));
      }
      System.out.printf("%nShares of the decode time: other ops = swiglu, residual adds, embedding, logits copies;%n"
          + "outside ops = Java between kernel calls (sampling, scheduling, page tables).%n");
      System.out.printf("machine:  %s%n", org.sparsej.bench.MachineInfo.line());
    }
    return 0;
  }
}
