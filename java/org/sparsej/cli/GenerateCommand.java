package org.sparsej.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.sparsej.api.Completion;
import org.sparsej.api.GenerationOptions;
import org.sparsej.api.Model;
import org.sparsej.api.TokenLogits;
import org.sparsej.generate.Sampler;
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
  @Mixin SamplingOptions sampling;

  @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT",
      description = "Prompt (default: empty); '-' reads it from standard input (UTF-8).")
  String prompt = "";

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read the prompt from a UTF-8 text file.")
  java.nio.file.Path promptFile;

  @Option(names = {"-n", "--steps"}, paramLabel = "N",
      description = "Tokens to generate (default: until end of text or the context is full).")
  int steps = -1;

  @Option(names = "--logits", paramLabel = "K",
      description = "For scripts: write to standard output, instead of the text, one JSON line per generated "
          + "token, {\"index\":I,\"token\":ID,\"top\":[[ID,LOGIT],...]} with the model's K largest logits "
          + "(before penalty and temperature) largest first; the text goes to standard error.")
  int logits = 0;

  @Option(names = "--stop", paramLabel = "STRING",
      description = "Stop when the output contains STRING (not printed); repeatable.")
  java.util.List<String> stop = new java.util.ArrayList<>();

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
    sampling.check();
    if (logits < 0 || logits > Sampler.MAX_TOP_LOGITS) {
      throw new ParameterException(spec.commandLine(), "--logits must be in 1.." + Sampler.MAX_TOP_LOGITS
          + ", got " + logits);
    }
    String prompt = promptFile != null ? TextFiles.read(promptFile, "prompt") : TextFiles.argumentOrStdin(this.prompt);
    long actualSeed = sampling.seed();
    GenerationOptions options = sampling.apply(GenerationOptions.defaults().withMaxTokens(steps)).withStop(stop)
        .withTopLogits(logits);
    // With --logits standard output is for the JSON lines alone, so a script can read it as is.
    PrintStream out = logits > 0 ? System.err : System.out;
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
      if (logits > 0) {
        writeLogits(c.topLogits(), System.out);
      }
      double prefillSeconds = (c.timeToFirstToken().toNanos() - c.queueTime().toNanos()) / 1e9;
      double decodeSeconds = c.totalTime().minus(c.timeToFirstToken()).toNanos() / 1e9;
      int n = c.completionTokens();
      System.err.printf("prefill: %d tokens, %.1f tok/s | decode: %d tokens, %.1f tok/s | %s | seed %d%n",
          c.promptTokens(), c.promptTokens() / prefillSeconds, n, n <= 1 ? Double.NaN : (n - 1) / decodeSeconds,
          model.backendDescription(), actualSeed);
    }
    return 0;
  }

  /** One JSON object per line; a -Infinity logit (a token the model rules out) is written as null. */
  static void writeLogits(List<TokenLogits> tokens, PrintStream out) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < tokens.size(); i++) {
      TokenLogits t = tokens.get(i);
      line.setLength(0);
      line.append("{\"index\":").append(i).append(",\"token\":").append(t.token()).append(",\"top\":[");
      for (int j = 0; j < t.ids().length; j++) {
        float v = t.logits()[j];
        line.append(j == 0 ? "[" : ",[").append(t.ids()[j]).append(',')
            .append(v == Float.NEGATIVE_INFINITY ? "null" : Float.toString(v)).append(']');
      }
      out.println(line.append("]}"));
    }
    out.flush();
  }
}
