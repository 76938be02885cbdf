package org.sparsej.cli;

import java.nio.file.Path;
import java.util.List;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.Calibration;
import org.sparsej.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

/** --calib, --samples, --seqlen and --seed: the calibration text of prune, quantize and compress. */
final class CalibrationOptions {
  @Option(names = "--calib", paramLabel = "FILE",
      description = "Calibration text (UTF-8); needed by every step that reads inputs (all but magnitude pruning "
          + "and plain quantization, which then report no output error).")
  Path calib;

  @Option(names = "--samples", paramLabel = "N", description = "Calibration sequences (default: ${DEFAULT-VALUE}).")
  int samples = 128;

  @Option(names = "--seqlen", paramLabel = "N",
      description = "Tokens per calibration sequence (default: the model's context, at most 256).")
  Integer seqlen;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED",
      description = "Seed of the calibration draw (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  /** Usage errors, before any model is loaded. */
  String problem() {
    if (samples < 1) {
      return "--samples must be positive, got " + samples;
    }
    if (seqlen != null && seqlen < 2) {
      return "--seqlen must be at least 2, got " + seqlen;
    }
    return null;
  }

  int length(LlamaModel model) {
    return seqlen != null ? seqlen : Math.min(256, model.config().seqLen());
  }

  /** Null when the calibration sequences fit the model's context, else the usage error saying they do not. */
  String contextProblem(LlamaModel model) {
    int context = model.config().seqLen();
    return length(model) > context ? "--seqlen " + length(model) + " exceeds the model's context of " + context : null;
  }

  /**
   * The calibration sequences when {@code wanted} and a file was given (else none, and the text is not read), drawn
   * as the SparseGPT/Wanda scripts draw them.
   */
  List<int[]> draw(LlamaModel model, Tokenizer tokenizer, boolean wanted) {
    if (calib == null || !wanted) {
      if (calib != null) {
        System.err.println("note: no step of this run reads calibration inputs; " + calib + " is not read");
      }
      return List.of();
    }
    int length = length(model);
    long t0 = System.nanoTime();
    int[] ids = tokenizer.encode(TextFiles.read(calib, "calibration"), false, false);
    List<int[]> drawn = Calibration.sample(ids, samples, length, seed, line -> System.err.println("warning: "
        + line));
    System.err.printf("calibration: %d x %d tokens from %s (%d tokens, tokenized in %.1f s)%n", drawn.size(),
        length, calib, ids.length, (System.nanoTime() - t0) / 1e9);
    return drawn;
  }
}
