package org.sparsej.cli;

import java.util.Arrays;
import java.util.concurrent.Callable;
import org.sparsej.api.Model;
import org.sparsej.api.Score;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Perplexity of a model over a text file, through the Java API's windowed scoring. */
@Command(name = "ppl", mixinStandardHelpOptions = true,
    description = {"Perplexity of a model over a text file, with the model's tokenizer.",
        "The text becomes ids without BOS, cut into windows of CTX-1 ids; each window is scored as [BOS]+window",
        "from an empty cache, so every id is predicted once. ppl = exp(mean negative log-likelihood).",
        "With --stride S < CTX-1 windows start every S ids and overlap; only ids not scored before count."})
final class EvalPplCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;

  @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to score.")
  java.nio.file.Path text;

  @Option(names = {"-c", "--ctx"}, paramLabel = "N",
      description = "Window length in positions, BOS included (default: the model's context, e.g. 256).")
  Integer ctx;

  @Option(names = "--stride", paramLabel = "N",
      description = "Ids between window starts (default: CTX-1, non-overlapping windows).")
  Integer stride;

  @Option(names = "--max-tokens", paramLabel = "N", description = "Score only the first N ids of the text.")
  Integer maxTokens;

  @Override
  public Integer call() {
    try (Model model = Model.load(modelOptions.model, modelOptions.apiOptions(backendOptions)
        .withLog(line -> System.err.println(line)))) {
      int window = ctx == null ? model.contextLength() : ctx;
      if (window < 2 || window > model.contextLength()) {
        throw usage("--ctx must be in 2.." + model.contextLength() + " (the model's context), got " + window);
      }
      int step = stride == null ? window - 1 : stride;
      if (step < 1 || step > window - 1) {
        throw usage("--stride must be in 1.." + (window - 1) + " (CTX-1), got " + step);
      }
      if (maxTokens != null && maxTokens < 1) {
        throw usage("--max-tokens must be positive, got " + maxTokens);
      }
      int[] ids = model.tokenize(TextFiles.read(text, "text"));
      if (maxTokens != null && maxTokens < ids.length) {
        ids = Arrays.copyOf(ids, maxTokens);
      }
      if (ids.length == 0) {
        throw new org.sparsej.util.SparsejException(text + ": no tokens to score (empty text)");
      }
      ProgressBar bar = new ProgressBar("ppl", ids.length);
      long start = System.nanoTime();
      Score r = model.score(ids, window, step, (done, total, soFar) ->
          bar.update(done, String.format("%d/%d tokens, ppl %.4f", done, total, soFar.perplexity())));
      double seconds = (System.nanoTime() - start) / 1e9;
      bar.finish(String.format("%d tokens, ppl %.4f", r.tokens(), r.perplexity()));
      System.out.printf("ppl %.4f over %d tokens (nll/token %.6f; ctx %d, stride %d) %s%n", r.perplexity(),
          r.tokens(), r.nllPerToken(), window, step, text.getFileName());
      System.err.printf("%.1f s, %.0f tok/s, %s%n", seconds, r.tokens() / seconds, model.backendDescription());
    }
    return 0;
  }

  private picocli.CommandLine.ParameterException usage(String message) {
    return new picocli.CommandLine.ParameterException(new picocli.CommandLine(this), message);
  }
}
