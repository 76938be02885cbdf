package org.sparsej.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.sparsej.backend.Backend;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.Llama2cWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.Calibration;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.PruneRecipe;
import org.sparsej.prune.Pruner;
import org.sparsej.prune.SparsityPattern;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.TokenizerJsonWriter;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** One-shot pruning with calibration text; writes a directory that generate and eval load. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {"Prune a model in one shot, block by block, calibrating on real text.",
        "  sparsegpt  SparseGPT (Frantar & Alistarh 2023): Hessian-aware mask and weight update",
        "  wanda      Wanda (Sun et al. 2023): |W|*||x|| per output row, no update",
        "  magnitude  smallest |W| per layer, no calibration needed (but --calib is still read)",
        "Calibration: --samples windows of --seqlen tokens drawn from --calib as the SparseGPT/Wanda scripts",
        "draw them (Python random.seed(SEED), randint offsets). Every linear of every block is pruned except",
        "those in --skip; embeddings, norms and the classifier stay dense.",
        "OUT is a new directory, written under a temporary name and renamed when complete: by default a",
        "Hugging Face directory (config.json, model.safetensors with the block linears as compressed-tensors",
        "sparse-bitmask, tokenizer.json) plus prune.json (recipe, per-layer sparsity and error); run it with",
        "sparsej generate -m OUT / sparsej eval ppl -m OUT. --format llama2c writes OUT/model.bin (zeros as",
        "dense F32) and tokenizer.bin instead: run -m OUT/model.bin."})
final class PruneCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;

  @Option(names = "--method", required = true, paramLabel = "METHOD",
      description = "sparsegpt, wanda or magnitude.")
  String method;

  @Option(names = "--sparsity", paramLabel = "S",
      description = "Fraction of zeros per linear, in [0, 1) (default: ${DEFAULT-VALUE}; n:m patterns fix it "
          + "at 1-n/m).")
  double sparsity = 0.5;

  @Option(names = "--pattern", paramLabel = "P",
      description = "unstructured, or n:m = at most n nonzeros in every m consecutive inputs (2:4, 4:8) "
          + "(default: ${DEFAULT-VALUE}).")
  String pattern = "unstructured";

  @Option(names = "--calib", required = true, paramLabel = "FILE", description = "Calibration text (UTF-8).")
  Path calib;

  @Option(names = "--samples", paramLabel = "N", description = "Calibration sequences (default: ${DEFAULT-VALUE}).")
  int samples = 128;

  @Option(names = "--seqlen", paramLabel = "N",
      description = "Tokens per calibration sequence (default: the model's context, at most 256).")
  Integer seqlen;

  @Option(names = {"-s", "--seed"}, paramLabel = "SEED",
      description = "Seed of the calibration draw (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--skip", split = ",", paramLabel = "NAME",
      description = "Linears to leave dense: layers.L.wq|wk|wv|wo|w1|w2|w3, a suffix (w2) or a block (layers.0); "
          + "lm_head is always dense.")
  List<String> skip = new ArrayList<>();

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output directory (new).")
  Path output;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "hf: a Hugging Face directory with the block linears as compressed-tensors sparse-bitmask "
          + "(default); llama2c: model.bin + tokenizer.bin, zeros stored as dense F32.")
  String format = "hf";

  @Override
  public Integer call() {
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw usage("--sparsity must be in [0, 1), got " + sparsity);
    }
    SparsityPattern p;
    Pruner pruner;
    try {
      p = SparsityPattern.parse(pattern);
      pruner = Pruner.named(method);
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    if (!format.equals("hf") && !format.equals("llama2c")) {
      throw usage("--format must be hf or llama2c, got '" + format + "'");
    }
    if (samples < 1) {
      throw usage("--samples must be positive, got " + samples);
    }
    if (seqlen != null && seqlen < 2) {
      throw usage("--seqlen must be at least 2, got " + seqlen);
    }
    if (Files.exists(output)) {
      throw new SparsejException("output " + output + " already exists: remove it or choose another -o");
    }
    LlamaModel model = modelOptions.loadModel();
    int length = seqlen != null ? seqlen : Math.min(256, model.config().seqLen());
    if (length > model.config().seqLen()) {
      throw usage("--seqlen " + length + " exceeds the model's context of " + model.config().seqLen());
    }
    if (format.equals("llama2c") && model.config().ropeStyle() != org.sparsej.backend.RopeStyle.INTERLEAVED) {
      throw new SparsejException(modelOptions.model + " uses Hugging Face's rotate-half RoPE layout, which a "
          + "llama2.c file cannot hold as is: use --format hf");
    }
    PruneRecipe recipe = new PruneRecipe(pruner, sparsity, p, skip);
    checkSkipNames(model, recipe);
    double existing = LayerwisePruning.existingSparsity(model);
    if (existing > 0.10) {
      throw new SparsejException(String.format("%s is already sparse (%.1f%% of its block weights are zero): "
          + "prune the dense original instead", modelOptions.model, 100 * existing));
    }
    // The llama2.c output carries a llama2.c tokenizer.bin: the -z file or the one beside a .bin model.
    Path tokenizerFile = modelOptions.tokenizer != null ? modelOptions.tokenizer
        : modelOptions.model.toAbsolutePath().getParent().resolve("tokenizer.bin");
    Tokenizer tokenizer = modelOptions.loadTokenizer(model);
    long t0 = System.nanoTime();
    int[] ids = tokenizer.encode(TextFiles.read(calib, "calibration"), false, false);
    List<int[]> drawn = Calibration.sample(ids, samples, length, seed, line -> System.err.println("warning: "
        + line));
    System.err.printf("calibration: %d x %d tokens from %s (%d tokens, tokenized in %.1f s)%n", drawn.size(),
        length, calib, ids.length, (System.nanoTime() - t0) / 1e9);
    System.err.printf("pruning: %s, %s, sparsity %.2f, %d blocks%n", pruner.name(), p, recipe.targetSparsity(),
        model.config().nLayers());

    long start = System.nanoTime();
    LayerwisePruning.Result result;
    try (Backend backend = backendOptions.open()) {
      result = LayerwisePruning.run(model, backend, drawn, recipe, new BarListener());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    printSummary(result, seconds);
    String json = describe(result, recipe, drawn.size(), length, seconds);
    if (format.equals("hf")) {
      writeHf(result.model(), json);
    } else {
      writeAtomically(result, tokenizerFile, json);
    }
    Path runnable = format.equals("hf") ? output : output.resolve("model.bin");
    System.err.println("wrote " + output + " (run: sparsej eval ppl -m " + runnable + " --text FILE)");
    return 0;
  }

  private void checkSkipNames(LlamaModel model, PruneRecipe recipe) {
    for (String entry : skip) {
      if (PruneRecipe.ALWAYS_DENSE.contains(entry)) {
        continue;
      }
      boolean matched = false;
      for (int l = 0; l < model.config().nLayers() && !matched; l++) {
        for (String n : new String[] {"wq", "wk", "wv", "wo", "w1", "w2", "w3"}) {
          String name = "layers." + l + "." + n;
          if (new PruneRecipe(recipe.method(), 0, SparsityPattern.UNSTRUCTURED, List.of(entry)).ignores(name)) {
            matched = true;
            break;
          }
        }
      }
      if (!matched) {
        throw usage("--skip " + entry + " names no linear (use layers.L.wq|wk|wv|wo|w1|w2|w3, a suffix such as "
            + "w2, a block such as layers.0, or lm_head)");
      }
    }
  }

  /** A progress bar per block; one line per pruned linear once the block is done. */
  private static final class BarListener implements LayerwisePruning.Listener {
    private ProgressBar bar;

    @Override
    public void blockStarted(int block, int blocks, int steps) {
      bar = new ProgressBar(String.format("block %d/%d", block + 1, blocks), steps);
    }

    @Override
    public void step(int block, int done, String detail) {
      bar.update(done, detail);
    }

    @Override
    public void blockFinished(int block) {
      bar.finish("done");
    }
  }

  private static void printSummary(LayerwisePruning.Result result, double seconds) {
    System.out.printf("%-14s %-10s %9s %12s %8s%n", "linear", "shape", "sparsity", "rel. error", "time");
    for (LayerwisePruning.LinearReport r : result.linears()) {
      System.out.printf("%-14s %-10s %8.2f%% %12s %7.2fs%n", r.name(), r.rows() + "x" + r.cols(),
          100 * r.sparsity(), r.skipped() ? "skipped" : Double.isNaN(r.relativeError()) ? "n/a"
          : String.format("%.5f", r.relativeError()), r.seconds());
    }
    Runtime rt = Runtime.getRuntime();
    System.out.printf("overall: %.2f%% zeros in the block linears; %.1f s; JVM heap in use %.0f MB%n",
        100 * result.overallSparsity(), seconds, (rt.totalMemory() - rt.freeMemory()) / 1e6);
  }

  /**
   * A Hugging Face directory through the formats writer (compressed-tensors sparse-bitmask for the block linears),
   * which writes under a temporary name and renames; the tokenizer as tokenizer.json, prune.json beside it.
   */
  private void writeHf(LlamaModel pruned, String json) {
    int vocabSize = pruned.config().vocabSize();
    Vocabulary vocab = modelOptions.tokenizer != null
        ? ModelTokenizers.vocabularyFromFile(modelOptions.tokenizer, vocabSize)
        : ModelTokenizers.vocabularyOrNull(modelOptions.model, vocabSize);
    Path extras = null;
    try {
      extras = Files.createTempDirectory("sparsej-prune");
      List<Path> files = new ArrayList<>();
      if (vocab != null) {
        TokenizerJsonWriter.write(vocab, extras);
        files.add(extras.resolve("tokenizer.json"));
        files.add(extras.resolve("tokenizer_config.json"));
      } else {
        System.err.println("note: " + modelOptions.model + " has no tokenizer with it; OUT needs -z FILE to run");
      }
      Files.writeString(extras.resolve("prune.json"), json);
      files.add(extras.resolve("prune.json"));
      ProgressBar bar = new ProgressBar("write", 1);
      HfModelWriter.Summary s = HfModelWriter.write(pruned, output, HfModelWriter.Options.defaults()
          .withSparseBitmask(true).withTokenizerFiles(files));
      bar.finish(String.format("%s: %d sparse-bitmask weights, %.1f MB", output, s.sparseWeights(),
          s.dataBytes() / 1e6));
    } catch (IOException e) {
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    } finally {
      deleteQuietly(extras);
    }
  }

  private void writeAtomically(LayerwisePruning.Result result, Path tokenizerFile, String json) {
    Path target = output.toAbsolutePath();
    Path parent = target.getParent();
    Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(parent);
      deleteRecursively(tmp);
      Files.createDirectory(tmp);
      ProgressBar bar = new ProgressBar("write", 1);
      Llama2cWriter.write(result.model(), tmp.resolve("model.bin"));
      if (Files.isRegularFile(tokenizerFile) && tokenizerFile.getFileName().toString().endsWith(".bin")) {
        Files.copy(tokenizerFile, tmp.resolve("tokenizer.bin"));
      }
      Files.writeString(tmp.resolve("prune.json"), json);
      bar.finish(target.toString());
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteQuietly(tmp);
      throw new SparsejException("cannot write " + output + ": " + e.getMessage());
    } catch (RuntimeException e) {
      deleteQuietly(tmp);
      throw e;
    }
  }

  private String describe(LayerwisePruning.Result result, PruneRecipe recipe, int sampleCount, int length,
                          double seconds) {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("source", modelOptions.model.toString());
    ObjectNode r = root.putObject("recipe");
    r.put("method", recipe.method().name());
    r.put("sparsity", recipe.targetSparsity());
    r.put("mask_structure", recipe.pattern().toString());
    ArrayNode ignore = r.putArray("ignore");
    recipe.ignore().forEach(ignore::add);
    ObjectNode c = root.putObject("calibration");
    c.put("file", calib.toString());
    c.put("samples", sampleCount);
    c.put("seqlen", length);
    c.put("seed", seed);
    root.put("achieved_sparsity", result.overallSparsity());
    root.put("seconds", seconds);
    ArrayNode layers = root.putArray("layers");
    for (LayerwisePruning.LinearReport l : result.linears()) {
      ObjectNode n = layers.addObject();
      n.put("name", l.name());
      n.put("rows", l.rows());
      n.put("cols", l.cols());
      n.put("sparsity", l.sparsity());
      if (Double.isNaN(l.relativeError())) {
        n.putNull("relative_error");
      } else {
        n.put("relative_error", l.relativeError());
      }
      n.put("skipped", l.skipped());
    }
    try {
      return json.writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try {
      deleteRecursively(dir);
    } catch (IOException ignored) {
      // best effort: the temporary name is hidden and per-process
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(new picocli.CommandLine(this), message);
  }
}
