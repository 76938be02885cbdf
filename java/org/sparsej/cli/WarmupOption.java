package org.sparsej.cli;

import org.sparsej.bench.GenerationBench;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** --warmup of the end-to-end benchmarks (bench, bench engine): checked where it is read. */
public final class WarmupOption {
  @Option(names = "--warmup", paramLabel = "SECONDS",
      description = "Untimed repetitions run first for at least this long, and at least one: the JIT compiles the "
          + "decode loop in the first seconds (default: ${DEFAULT-VALUE}).")
  double warmupSeconds = GenerationBench.DEFAULT_WARMUP_SECONDS;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /** The seconds; a usage error (one line, exit 2) unless between 0 and an hour. */
  double seconds() {
    if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
      throw new ParameterException(command.commandLine(),
          "--warmup must be between 0 and 3600 seconds, not " + warmupSeconds);
    }
    return warmupSeconds;
  }
}
