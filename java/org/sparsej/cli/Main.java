package org.sparsej.cli;

import java.io.PrintWriter;
import org.sparsej.util.SparsejException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code sparsej <command>}: the command-line entry point. */
@Command(name = "sparsej", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Sparse, quantized LLM inference for the JVM.",
    subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, EvalCommand.class, PruneCommand.class,
        QuantizeCommand.class, CompressCommand.class, FinetuneCommand.class, ConvertCommand.class, InspectCommand.class,
        BenchCommand.class, SynthCommand.class, InfoCommand.class, TokenizeCommand.class, DetokenizeCommand.class,
        CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  /** Exit code of a run that failed on its input (bad file, full context...). */
  public static final int EXIT_FAILURE = 1;
  /** Exit code of a command line that could not be parsed (unknown flag, bad value). */
  public static final int EXIT_USAGE = 2;
  /** Columns of --help. */
  static final int HELP_WIDTH = 120;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns its exit code; never throws, never prints a stack trace unless asked. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    // The commands' descriptions are wrapped by hand (tables, aligned lists) at up to HELP_WIDTH - 2 columns; at
    // picocli's default 80 it re-wrapped each of those lines into a long and a short fragment.
    cli.setUsageHelpWidth(HELP_WIDTH);
    // Added here rather than in BenchCommand's annotation: `bench serve` belongs with the server.
    cli.getSubcommands().get("bench").addSubcommand("serve", new BenchServeCommand());
    cli.setParameterExceptionHandler((e, argv) -> {
      PrintWriter err = cli.getErr();
      // One line, the help hint on it: a second line is lost by anything that reads only the error line.
      err.println("error: " + e.getMessage() + " (see '" + commandOf(cli, e).getCommandSpec().qualifiedName()
          + " --help')");
      return EXIT_USAGE;
    });
    cli.setExecutionExceptionHandler((e, command, parseResult) -> {
      PrintWriter err = command.getErr();
      if (e instanceof CommandLine.ParameterException pe) {
        err.println("error: " + pe.getMessage());
        return EXIT_USAGE;
      }
      if (Boolean.getBoolean("sparsej.debug")) {
        e.printStackTrace(err);
      }
      err.println("error: " + describe(e));
      return EXIT_FAILURE;
    });
    try {
      return cli.execute(args);
    } catch (OutOfMemoryError | StackOverflowError e) {
      // picocli hands Errors past the execution handler: report them as one line like everything else.
      System.err.println("error: " + describe(e));
      return EXIT_FAILURE;
    }
  }

  /**
   * The command a usage error belongs to. A command's own checks throw with a detached CommandLine (named
   * "<main class>"); the parse result says which subcommand actually ran.
   */
  private static CommandLine commandOf(CommandLine cli, CommandLine.ParameterException e) {
    CommandLine where = e.getCommandLine();
    if (where == cli || where.getParent() != null || cli.getParseResult() == null) {
      return where;
    }
    CommandLine.ParseResult r = cli.getParseResult();
    while (r.subcommand() != null) {
      r = r.subcommand();
    }
    return r.commandSpec().commandLine();
  }

  static String describe(Throwable e) {
    if (e instanceof SparsejException) {
      return e.getMessage();
    }
    if (e instanceof OutOfMemoryError) {
      // Tensors live off-heap up to RAM less the heap (OffHeapMemory): only a heap exhaustion wants a larger -Xmx.
      boolean heap = String.valueOf(e.getMessage()).contains("Java heap");
      return "out of memory (" + e.getMessage() + "): "
          + (heap ? "give the JVM more with -Xmx or use a smaller model" : "free memory or use a smaller model");
    }
    return "internal error: " + e + " (rerun with -Dsparsej.debug=true for a stack trace, and please report it)";
  }

  /** Version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"sparsej " + (v == null ? "dev" : v)};
    }
  }
}
