package org.sparsej.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.sparsej.backend.Backend;
import org.sparsej.generate.Generator;
import org.sparsej.generate.Sampler;
import org.sparsej.model.LlamaModel;
import org.sparsej.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Streams a continuation of a prompt, then reports prefill and decode speed. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate text from a prompt, streaming it as it is produced.")
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;

  @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt (default: empty).")
  String prompt = "";

  @Option(names = {"-n", "--steps"}, paramLabel = "N",
      description = "Tokens to generate (default: until end of text or the context is full).")
  int steps = -1;

  @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature = 0.8f;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
  float topP = 0.9f;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED", description = "Random seed (default: time-based).")
  Long seed;

  @Override
  public Integer call() {
    if (steps == 0 || steps < -1) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--steps must be positive, got " + steps);
    }
    long actualSeed = seed != null ? seed : System.nanoTime();
    Sampler sampler = new Sampler(temperature, topP, actualSeed);
    LlamaModel model = modelOptions.loadModel();
    Tokenizer tokenizer = modelOptions.loadTokenizer(model);
    PrintStream out = System.out;
    try (Backend backend = backendOptions.open()) {
      Generator generator = new Generator(model.newSession(backend, 64), tokenizer);
      out.print(prompt);
      out.flush();
      Generator.Result result = generator.generate(prompt, steps, sampler, true, (prev, token) -> {
        byte[] bytes = tokenizer.decodeBytes(prev, token);
        out.write(bytes, 0, bytes.length);
        out.flush();
      });
      out.println();
      System.err.printf("prefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | %s | seed %d%n",
          result.promptTokens().length, result.prefillTokensPerSecond(), result.generatedTokens().length,
          result.decodeTokensPerSecond(), backend.describe(), actualSeed);
    }
    return 0;
  }
}
