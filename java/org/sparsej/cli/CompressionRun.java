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
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.sparsej.backend.Backend;
import org.sparsej.format.AtomicOutput;
import org.sparsej.format.LinearSource;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.format.SpillFile;
import org.sparsej.format.hf.HfModelReader;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.model.ModelLoader;
import org.sparsej.prune.BlockLinears;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.LayerwisePruning.LinearReport;
import org.sparsej.prune.Stage;
import org.sparsej.quantize.QuantizationModifier;
import org.sparsej.quantize.SelectiveRanking;
import org.sparsej.weights.DenseF32Weight;
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
  private long compressedBytes;  // resident bytes of the compressed block linears

  /** Refuses an existing output before loading anything, then loads the model. */
  CompressionRun(ModelOptions modelOptions, CalibrationOptions calibration, Path output) {
    AtomicOutput.checkWritable(output, false);  // before minutes of compression, not after
    this.modelOptions = modelOptions;
    this.calibration = calibration;
    // An HF directory is read block by block: a BF16/F16 one is widened to F32 a block at a time, not whole.
    this.model = ModelLoader.detect(modelOptions.model) == ModelLoader.Format.HF
        ? HfModelReader.loadBlockByBlock(ModelLoader.hfDirectory(modelOptions.model)) : modelOptions.loadModel();
  }

  /** A run on {@code model} as the previous stages left it (a recipe's stages after a train stage). */
  CompressionRun(ModelOptions modelOptions, CalibrationOptions calibration, LlamaModel model) {
    this.modelOptions = modelOptions;
    this.calibration = calibration;
    this.model = model;
  }

  LayerwisePruning.Result result() {
    return result;
  }

  /** Validates the stages, draws the calibration sequences they read, and runs them, keeping the whole result. */
  LayerwisePruning.Result run(List<Stage> stages, BackendOptions backendOptions) {
    return run(stages, backendOptions, null);
  }

  /**
   * As {@link #run(List, BackendOptions)}, streamed when {@code sink} is given and the stages allow
   * ({@link LayerwisePruning#canStream}): each compressed block goes to the sink and is not kept.
   */
  private LayerwisePruning.Result run(List<Stage> stages, BackendOptions backendOptions,
                                      LayerwisePruning.BlockSink sink) {
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
      result = sink == null ? LayerwisePruning.run(model, backend, samples, bos, stages, new BarListener())
          : LayerwisePruning.stream(model, backend, samples, bos, stages, new BarListener(), sink);
    }
    seconds = (System.nanoTime() - start) / 1e9;
    if (result.model() != null) {
      compressedBytes = 0;
      for (LayerWeights layer : result.model().weights().layers()) {
        for (LinearWeight w : BlockLinears.of(layer)) {
          compressedBytes += w.residentBytes();
        }
      }
    }
    printSummary();
    return result;
  }

  /**
   * Runs the stages and writes OUT as a Hugging Face directory with {@code extras} (name → content, made once
   * the run is done) beside the weights. Streamed when the stages allow: each block, once compressed, is spilled
   * to a temporary file beside OUT and dropped, and the writer reads the linears back one at a time, so the
   * compression holds about one block (plus the input model's mapped pages) instead of the whole output.
   */
  void runToHf(List<Stage> stages, BackendOptions backendOptions, Path output,
               Supplier<Map<String, String>> extras, HfModelWriter.Options options) {
    // -Dsparsej.stream=false runs in memory as before streaming existed (for comparisons)
    if (!LayerwisePruning.canStream(stages) || !Boolean.parseBoolean(System.getProperty("sparsej.stream", "true"))) {
      run(stages, backendOptions, null);
      writeHf(modelOptions, HfModelWriter.Source.of(result.model()), output, extras.get(), options);
      return;
    }
    Path parent = output.toAbsolutePath().getParent();
    try {
      Files.createDirectories(parent);
    } catch (IOException e) {
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    }
    try (SpillFile spill = new SpillFile(parent)) {
      List<HfModelWriter.Block> blocks = new ArrayList<>();
      run(stages, backendOptions, (l, layer) -> {
        List<LinearSource> linears = new ArrayList<>();
        for (LinearWeight w : BlockLinears.of(layer)) {
          compressedBytes += w.residentBytes();
          linears.add(spill.put(w.stored()));
        }
        blocks.add(new HfModelWriter.Block(layer.attentionNorm(), layer.ffnNorm(), linears, layer.bq(), layer.bk(),
            layer.bv()));
      });
      LlamaWeights w = model.weights();
      LinearWeight head = result.classifier();  // as the modifiers left it (INT8 when a target names lm_head)
      boolean tied = head instanceof DenseF32Weight d && d.values() == w.tokenEmbedding();
      HfModelWriter.Source source = new HfModelWriter.Source(model.config(), w.tokenEmbedding(), blocks,
          w.finalNorm(), tied ? null : LinearSource.of(head));
      writeHf(modelOptions, source, output, extras.get(), options);
    } catch (java.io.UncheckedIOException e) {
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    }
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
    for (LayerWeights layer : model.weights().layers()) {
      for (LinearWeight w : BlockLinears.of(layer)) {
        before += w.residentBytes();
      }
    }
    long after = compressedBytes;
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
   * Also what finetune writes for a Hugging Face student.
   */
  static void writeHf(ModelOptions modelOptions, HfModelWriter.Source compressed, Path output,
                      Map<String, String> extras, HfModelWriter.Options options) {
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
      bar.finish(String.format("%s: %d sparse weights (%s), %d int8 weights, %.1f MB", output,
          s.sparseWeights(), s.sparseFormat(), s.int8Weights(), s.dataBytes() / 1e6));
    } catch (IOException e) {
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    } finally {
      deleteQuietly(dir);
    }
  }

  /**
   * OUT/model.bin (zeros stored as dense F32), OUT/tokenizer.bin (the -z file or the one beside a .bin model) and
   * {@code extras} (name → content), as one directory that appears whole.
   */
  static void writeLlama2c(ModelOptions modelOptions, LlamaModel model, Path output, Map<String, String> extras) {
    Path tokenizerFile = modelOptions.tokenizer != null ? modelOptions.tokenizer
        : modelOptions.model.toAbsolutePath().getParent().resolve("tokenizer.bin");
    ProgressBar bar = new ProgressBar("write", 1);
    AtomicOutput.directory(output, false, tmp -> {
      org.sparsej.model.Llama2cWriter.write(model, tmp.resolve("model.bin"));
      if (Files.isRegularFile(tokenizerFile) && tokenizerFile.getFileName().toString().endsWith(".bin")) {
        Files.copy(tokenizerFile, tmp.resolve("tokenizer.bin"));
      }
      for (Map.Entry<String, String> e : extras.entrySet()) {
        Files.writeString(tmp.resolve(e.getKey()), e.getValue());
      }
    });
    bar.finish(output.toString());
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
