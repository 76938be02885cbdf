package org.sparsej.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.sparsej.backend.Backend;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.LayerwisePruning.LinearReport;
import org.sparsej.prune.Stage;
import org.sparsej.quantize.QuantizationModifier;
import org.sparsej.quantize.SelectiveRanking;
import org.sparsej.weights.LinearWeight;
import org.sparsej.tokenizer.TokenizerJsonWriter;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.util.SparsejException;

/**
 * What prune, quantize and compress share: load the model, draw the calibration text if a step reads inputs, run
 * the recipe's stages through {@link LayerwisePruning} with a progress bar per stage and a log line per linear,
 * print the summary, describe the run as JSON and write the output directory.
 */
final class CompressionRun {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final ModelOptions modelOptions;
  private final CalibrationOptions calibration;
  final LlamaModel model;
  private int sampleCount;
  private int seqlen;
  private LayerwisePruning.Result result;
  private double seconds;

  /** Refuses an existing output before loading anything, then loads the model. */
  CompressionRun(ModelOptions modelOptions, CalibrationOptions calibration, Path output) {
    AtomicOutput.checkWritable(output, false);  // before minutes of compression, not after
    this.modelOptions = modelOptions;
    this.calibration = calibration;
    this.model = modelOptions.loadModel();
  }

  LayerwisePruning.Result result() {
    return result;
  }

  /** Validates the stages, draws the calibration sequences they read, and runs them. */
  LayerwisePruning.Result run(List<Stage> stages, BackendOptions backendOptions) {
    LayerwisePruning.validate(model, stages, calibration.calib != null);
    boolean readsInputs = stages.stream().flatMap(s -> s.modifiers().stream())
        .anyMatch(m -> m.needs() != BlockModifier.Needs.NONE);
    List<int[]> samples = List.of();
    int bos = 1;
    if (readsInputs && calibration.calib != null) {
      var tokenizer = modelOptions.loadTokenizer(model);
      bos = tokenizer.bos();
      samples = calibration.draw(model, tokenizer, true);
    } else {
      calibration.draw(model, null, false);
    }
    sampleCount = samples.size();
    seqlen = samples.isEmpty() ? 0 : samples.get(0).length;
    long start = System.nanoTime();
    try (Backend backend = backendOptions.open()) {
      result = LayerwisePruning.run(model, backend, samples, bos, stages, new BarListener());
    }
    seconds = (System.nanoTime() - start) / 1e9;
    printSummary();
    return result;
  }

  /** A progress bar per stage; one log line per linear a step changed. */
  private static final class BarListener implements LayerwisePruning.Listener {
    private ProgressBar bar;

    @Override
    public void stageStarted(String stage, long steps) {
      bar = new ProgressBar("stage " + stage, steps);
    }

    @Override
    public void step(long done, String detail) {
      bar.update(done, detail);
    }

    @Override
    public void linearDone(LinearReport r) {
      if (!r.skipped()) {
        bar.log(String.format("  %-14s %-10s %-20s %6.2f%% zeros  error %-9s %8.1f KB  %6.2f s", r.name(),
            r.rows() + "x" + r.cols(), r.format(), 100 * r.sparsity(), error(r), r.bytes() / 1e3, r.seconds()));
      }
    }

    @Override
    public void stageFinished(String stage) {
      bar.finish("done");
      bar = null;
    }

    @Override
    public void log(String line) {
      if (bar != null) {
        bar.log(line);
      } else {
        System.err.println(line);
      }
    }
  }

  private static String error(LinearReport r) {
    return r.skipped() ? "skipped" : Double.isNaN(r.relativeError()) ? "n/a"
        : String.format("%.5f", r.relativeError());
  }

  private void printSummary() {
    String modifier = null;
    for (LinearReport r : result.linears()) {
      if (!r.modifier().equals(modifier)) {
        modifier = r.modifier();
        System.out.println(modifier + ":");
        System.out.printf("%-14s %-10s %-20s %9s %12s %11s %8s%n", "linear", "shape", "format", "sparsity",
            "rel. error", "size", "time");
      }
      System.out.printf("%-14s %-10s %-20s %8.2f%% %12s %8.1f KB %7.2fs%n", r.name(), r.rows() + "x" + r.cols(),
          r.format(), 100 * r.sparsity(), error(r), r.bytes() / 1e3, r.seconds());
    }
    long before = 0;
    long after = 0;
    for (int l = 0; l < model.config().nLayers(); l++) {
      for (var w : org.sparsej.prune.BlockLinears.of(model.weights().layers().get(l))) {
        before += w.residentBytes();
      }
      for (var w : org.sparsej.prune.BlockLinears.of(result.model().weights().layers().get(l))) {
        after += w.residentBytes();
      }
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf("overall: %.2f%% zeros in the block linears, %.1f MB in memory (from %.1f MB); %.1f s; "
        + "JVM heap in use %.0f MB%n", 100 * result.overallSparsity(), after / 1e6, before / 1e6, seconds,
        (rt.totalMemory() - rt.freeMemory()) / 1e6);
  }

  /** The run as JSON: source, stages, calibration, and every modifier's report of every linear. */
  ObjectNode describe(List<Stage> stages) {
    ObjectNode root = JSON.createObjectNode();
    root.put("source", modelOptions.model.toString());
    ArrayNode st = root.putArray("stages");
    for (Stage s : stages) {
      ObjectNode n = st.addObject();
      n.put("name", s.name());
      ArrayNode mods = n.putArray("modifiers");
      for (BlockModifier m : s.modifiers()) {
        ObjectNode mod = mods.addObject().put("name", m.name()).put("settings", m.describe());
        if (m instanceof QuantizationModifier q && !q.ranking().isEmpty()) {
          ArrayNode ranking = mod.putArray("sensitivity_ranking");
          for (SelectiveRanking.Entry e : q.ranking()) {
            ranking.addObject().put("name", e.name()).put("input_range", e.inputRange())
                .put("ppl_change", e.pplChange());
          }
        }
      }
    }
    ObjectNode c = root.putObject("calibration");
    if (sampleCount == 0) {
      c.putNull("file");
    } else {
      c.put("file", calibration.calib.toString());
    }
    c.put("samples", sampleCount);
    c.put("seqlen", seqlen);
    c.put("seed", calibration.seed);
    root.put("achieved_sparsity", result.overallSparsity());
    root.put("seconds", seconds);
    ArrayNode layers = root.putArray("layers");
    for (LinearReport l : result.linears()) {
      ObjectNode n = layers.addObject();
      n.put("modifier", l.modifier());
      n.put("name", l.name());
      n.put("rows", l.rows());
      n.put("cols", l.cols());
      n.put("format", l.format());
      n.put("bytes", l.bytes());
      n.put("sparsity", l.sparsity());
      if (Double.isNaN(l.relativeError())) {
        n.putNull("relative_error");
      } else {
        n.put("relative_error", l.relativeError());
      }
      n.put("skipped", l.skipped());
    }
    return root;
  }

  static String text(ObjectNode json) {
    try {
      return JSON.writeValueAsString(json) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes the compressed model as a Hugging Face directory through the formats writer (which writes under a
   * temporary name and renames), with the tokenizer as tokenizer.json and {@code extras} (name → content) beside it.
   */
  void writeHf(Path output, Map<String, String> extras, HfModelWriter.Options options) {
    LlamaModel compressed = result.model();
    int vocabSize = compressed.config().vocabSize();
    Vocabulary vocab = modelOptions.tokenizer != null
        ? ModelTokenizers.vocabularyFromFile(modelOptions.tokenizer, vocabSize)
        : ModelTokenizers.vocabularyOrNull(modelOptions.model, vocabSize);
    Path dir = null;
    try {
      dir = AtomicOutput.scratchDirectory(output);
      List<Path> files = new ArrayList<>();
      if (vocab != null) {
        TokenizerJsonWriter.write(vocab, dir);
        files.add(dir.resolve("tokenizer.json"));
        files.add(dir.resolve("tokenizer_config.json"));
      } else {
        System.err.println("note: " + modelOptions.model + " has no tokenizer with it; OUT needs -z FILE to run");
      }
      for (Map.Entry<String, String> e : extras.entrySet()) {
        Files.writeString(dir.resolve(e.getKey()), e.getValue());
        files.add(dir.resolve(e.getKey()));
      }
      ProgressBar bar = new ProgressBar("write", 1);
      HfModelWriter.Summary s = HfModelWriter.write(compressed, output, options.withTokenizerFiles(files));
      bar.finish(String.format("%s: %d sparse-bitmask weights, %d int8 weights, %.1f MB", output,
          s.sparseWeights(), s.int8Weights(), s.dataBytes() / 1e6));
    } catch (IOException e) {
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    } finally {
      deleteQuietly(dir);
    }
  }

  static void deleteQuietly(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    } catch (IOException ignored) {
      // best effort: a temporary directory
    }
  }
}
