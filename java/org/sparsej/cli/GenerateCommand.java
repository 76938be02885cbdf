package org.sparsej.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Streams a continuation of a prompt through the Java API, then reports prefill and decode speed. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate text from a prompt, streaming it as it is produced.")
final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;

  @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
      description = "Prompt (default: empty); '-' reads it from standard input (UTF-8).")
  String prompt = "";

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from a UTF-8 text file.")
  java.nio.file.Path promptFile;

  @Option(names = {"-n", "--steps"}, paramLabel = "N",
      description = "Tokens to generate (default: until end of text or the context is full).")
  int steps = -1;

  @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
  float temperature = 0.8f;

  @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
  float topP = 0.9f;

  @Option(names = "--top-k", paramLabel = "K",
      description = "Sample only among the K most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
  int topK = 0;

  @Option(names = "--stop", paramLabel = "STRING",
      description = "Stop when the output contains STRING (not printed); repeatable.")
  java.util.List<String> stop = new java.util.ArrayList<>();

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED", description = "Random seed (default: time-based).")
  Long seed;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    if (steps == 0 || steps < -1) {
      throw new ParameterException(spec.commandLine(), "--steps must be positive, got " + steps);
    }
    if (prompt.indexOf('\uFFFD') >= 0) {
      // The JVM decodes arguments with the locale's charset and turns bytes it cannot decode into U+FFFD: the
      // prompt the model would see is not the one typed.
      throw new ParameterException(spec.commandLine(), "--prompt holds U+FFFD: its bytes were not valid "
          + System.getProperty("sun.jnu.encoding", "UTF-8") + " text (use a UTF-8 locale, e.g. LANG=C.UTF-8, and "
          + "a UTF-8 prompt)");
    }
    if (promptFile != null && !prompt.isEmpty()) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "give the prompt with -p or -f, not both");
    }
    if (topK < 0) {
      throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "--top-k must be >= 0 (0 = all), got " + topK);
    }
    String prompt = promptFile != null ? TextFiles.read(promptFile, "prompt") : TextFiles.argumentOrStdin(this.prompt);
    long actualSeed = seed != null ? seed : System.nanoTime();
    GenerationOptions options = GenerationOptions.defaults().withMaxTokens(steps).withTemperature(temperature)
        .withTopP(topP).withTopK(topK).withSeed(actualSeed).withStop(stop);
    PrintStream out = System.out;
    try (Model model = Model.load(modelOptions.model, modelOptions.apiOptions(backendOptions).withSlots(1)
        .withLog(line -> System.err.println(line)))) {
      out.print(prompt);
      out.flush();
      Completion c = model.generate(prompt, options, text -> {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        out.flush();
      });
      out.println();
      double prefillSeconds = (c.timeToFirstToken().toNanos() - c.queueTime().toNanos()) / 1e9;
      double decodeSeconds = c.totalTime().minus(c.timeToFirstToken()).toNanos() / 1e9;
      int n = c.completionTokens();
      System.err.printf("prefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | %s | seed %d%n",
          c.promptTokens(), c.promptTokens() / prefillSeconds, n, n <= 1 ? Double.NaN : (n - 1) / decodeSeconds,
          model.backendDescription(), actualSeed);
    }
    return 0;
  }
}
