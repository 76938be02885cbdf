package org.sparsej.cli;

import org.sparsej.api.GenerationOptions;
import org.sparsej.engine.SamplingParams;
import org.sparsej.generate.Sampler;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The sampling flags of generate and chat (llama.cpp's names and rules), checked once for both. */
public final class SamplingOptions {
  @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature = 0.8f;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
  float topP = 0.9f;

  @Option(names = "--top-k", paramLabel = "K",
      description = "Sample only among the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
  int topK = 0;

  @Option(names = "--min-p", paramLabel = "P",
      description = "Sample only among tokens at least P times as likely as the most likely one (before "
          + "temperature, as llama.cpp); 0 = off (default: ${DEFAULT-VALUE}).")
  float minP = 0f;

  @Option(names = "--repeat-penalty", paramLabel = "R",
      description = "Penalize tokens seen in the last --repeat-last-n tokens (prompt included): positive logits "
          + "divided by R, negative ones multiplied, as llama.cpp; 1 = off (default: ${DEFAULT-VALUE}).")
  float repeatPenalty = 1f;

  @Option(names = "--repeat-last-n", paramLabel = "N",
      description = "Tokens the repeat penalty looks back over; 0 = off (default: ${DEFAULT-VALUE}).")
  int repeatLastN = SamplingParams.DEFAULT_REPEAT_LAST_N;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED", description = "Random seed (default: time-based).")
  Long seed;

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  private Long chosenSeed;

  /** Refuses values out of range as command-line misuse (exit 2), naming the flag. */
  void check() {
    if (topK < 0) {
      throw new ParameterException(command.commandLine(), "--top-k must be >= 0 (0 = all), got " + topK);
    }
    String problem = Sampler.problem(temperature, topP, topK, minP, repeatPenalty, repeatLastN);
    if (problem != null) {
      throw new ParameterException(command.commandLine(), "--" + problem.replace(" penalty", "-penalty")
          .replace("temperature", "temp"));
    }
  }

  /** The seed given, else one taken from the clock once (and then always the same). */
  long seed() {
    if (chosenSeed == null) {
      chosenSeed = seed != null ? seed : System.nanoTime();
    }
    return chosenSeed;
  }

  GenerationOptions apply(GenerationOptions o) {
    return o.withTemperature(temperature).withTopP(topP).withTopK(topK).withMinP(minP)
        .withRepeatPenalty(repeatPenalty, repeatLastN).withSeed(seed());
  }

  Sampler sampler() {
    return new Sampler(temperature, topP, topK, minP, repeatPenalty, repeatLastN, seed());
  }
}
