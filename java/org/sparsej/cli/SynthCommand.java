package org.sparsej.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sparsej.format.AtomicOutput;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.SyntheticCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a random-weight model of a real shape for benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
    description = {"Write a model of a real shape with RANDOM weights (llama2.c format), for benchmarks.",
        "Its text is noise; its speed is that of a trained model of the same shape."})
final class SynthCommand implements Callable<Integer> {
  @Option(names = "--shape", required = true, paramLabel = "SHAPE",
      description = "stories110M, tinyllama-1.1b, llama2-7b, or dim=..,hidden=..,layers=..,heads=..,kv_heads=..,"
          + "vocab=..,seq=..")
  String shape;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed = 42;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "Output .bin file.")
  Path output;

  @Option(names = "--force", description = "Replace FILE if it exists.")
  boolean force;

  @Override
  public Integer call() {
    LlamaConfig config = SyntheticCheckpoint.parseShape(shape);
    AtomicOutput.checkWritable(output, force);
    long bytes = SyntheticCheckpoint.fileBytes(config);
    AtomicOutput.requireSpace(output, bytes);
    System.err.printf("writing RANDOM weights (not a trained model): %s, %.2f GB -> %s%n", config, bytes / 1e9,
        output);
    ProgressBar bar = new ProgressBar("synth", bytes);
    SyntheticCheckpoint.write(output, force, config, seed, done -> bar.update(done,
        String.format("%.2f/%.2f GB", done / 1e9, bytes / 1e9)));
    bar.finish(String.format("%.2f GB", bytes / 1e9));
    System.err.println("done: " + output + " (random weights; use it with 'sparsej bench', not for text)");
    return 0;
  }
}
