package org.sparsej.cli;

import picocli.CommandLine.Command;

/** {@code sparsej eval <metric>}: model quality measurements. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Measure model quality (see 'sparsej eval ppl --help').",
    subcommands = {EvalPplCommand.class})
final class EvalCommand implements Runnable {
  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing metric: try 'sparsej eval ppl'");
  }
}
