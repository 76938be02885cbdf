package org.sparsej.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** --rank-samples of the commands that can quantize selectively (quantize, compress): checked where it is read. */
public final class RankSamplesOption {
  @Option(names = "--rank-samples", paramLabel = "N",
      description = "Calibration sequences the sensitivity ranking of auto:K measures perplexity on "
          + "(default: ${DEFAULT-VALUE}).")
  int rankSamples = 16;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  /** The sample count; a usage error (one line, exit 2) unless positive. */
  int value() {
    if (rankSamples < 1) {
      throw new ParameterException(command.commandLine(), "--rank-samples must be positive, got " + rankSamples);
    }
    return rankSamples;
  }
}
