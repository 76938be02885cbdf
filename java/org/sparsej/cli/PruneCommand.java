package org.sparsej.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.LinearNames;
import org.sparsej.prune.PruneRecipe;
import org.sparsej.prune.Pruner;
import org.sparsej.prune.PruningModifier;
import org.sparsej.prune.SparsityPattern;
import org.sparsej.prune.Stage;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** One-shot pruning: a one-stage recipe run by the same code as compress; writes a directory generate and eval load. */
@Command(name = "prune", mixinStandardHelpOptions = true,
    description = {"Prune a model in one shot, block by block, calibrating on real text.",
        "  sparsegpt  SparseGPT (Frantar & Alistarh 2023): Hessian-aware mask and weight update",
        "  wanda      Wanda (Sun et al. 2023): |W|*||x|| per output row, no update",
        "  magnitude  smallest |W| per layer: no calibration text needed (--calib is not read)",
        "Calibration: --samples windows of --seqlen tokens drawn from --calib as the SparseGPT/Wanda scripts",
        "draw them (Python random.seed(SEED), randint offsets). Every linear of every block is pruned except",
        "those in --skip; embeddings, norms and the classifier stay dense. This is the one-stage recipe",
        "'prune_stage: pruning_modifiers: SparseGPTModifier|WandaPruningModifier|MagnitudePruningModifier'",
        "of sparsej compress, run by the same code.",
        "OUT is a new directory, written under a temporary name and renamed when complete: by default a",
        "Hugging Face directory (config.json, model.safetensors with the pruned linears stored dense, zeros in",
        "place, and their sparsity in config.json; tokenizer.json) plus prune.json (recipe, per-layer sparsity and",
        "error); run it with sparsej generate -m OUT / sparsej eval ppl -m OUT. --format llama2c writes",
        "OUT/model.bin (zeros as dense F32) and tokenizer.bin instead: run -m OUT/model.bin."})
final class PruneCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;
  @Mixin CalibrationOptions calibration;

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

  @Option(names = {"--skip", "--ignore"}, split = ",", paramLabel = "NAME",
      description = "Linears to leave dense: layers.L.wq|wk|wv|wo|w1|w2|w3, a suffix (w2, down_proj), a block "
          + "(layers.0) or re:REGEX on Hugging Face module names; lm_head is always dense.")
  List<String> skip = new ArrayList<>();

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output directory (new).")
  Path output;

  @Option(names = "--format", paramLabel = "FORMAT",
      description = "A Hugging Face directory, " + HfLayoutOption.DESCRIPTION + " Or llama2c: model.bin + "
          + "tokenizer.bin, zeros stored as dense F32.")
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
    boolean llama2c = format.equals("llama2c");
    if (!llama2c && HfLayoutOption.writerOptions(format) == null) {
      throw usage("--format must be hf, sparse-bitmask or llama2c, got '" + format + "'");
    }
    String problem = calibration.problem();
    if (problem != null) {
      throw usage(problem);
    }
    if (pruner.needsCalibration() && calibration.calib == null) {
      throw usage(pruner.name() + " calibrates on real text: give --calib FILE");
    }
    CompressionRun run = new CompressionRun(modelOptions, calibration, output);
    LlamaModel model = run.model;
    String contextProblem = calibration.contextProblem(model);
    if (contextProblem != null) {
      throw usage(contextProblem);
    }
    if (llama2c && model.config().ropeStyle() != org.sparsej.backend.RopeStyle.INTERLEAVED) {
      throw new SparsejException(modelOptions.model + " uses Hugging Face's rotate-half RoPE layout, which a "
          + "llama2.c file cannot hold as is: use --format hf");
    }
    try {
      LinearNames.requireEachSelects(skip, model.config().nLayers(), "--skip");
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    PruneRecipe recipe = new PruneRecipe(pruner, sparsity, p, skip);
    List<Stage> stages = List.of(new Stage("prune", List.of(new PruningModifier(recipe))));
    System.err.printf("pruning: %s, %s, sparsity %.2f, %d blocks%n", pruner.name(), p, recipe.targetSparsity(),
        model.config().nLayers());
    if (!llama2c) {
      run.runToHf(stages, backendOptions, output,
          () -> Map.of("prune.json", CompressionRun.text(describe(run, stages, recipe))),
          HfLayoutOption.writerOptions(format));
    } else {
      run.run(stages, backendOptions);
      CompressionRun.writeLlama2c(modelOptions, run.result().model(), output,
          Map.of("prune.json", CompressionRun.text(describe(run, stages, recipe))));
    }
    Path runnable = !llama2c ? output : output.resolve("model.bin");
    System.err.println("wrote " + output + " (run: sparsej eval ppl -m " + runnable + " --text FILE)");
    return 0;
  }

  private ObjectNode describe(CompressionRun run, List<Stage> stages, PruneRecipe recipe) {
    ObjectNode root = run.describe(stages);
    ObjectNode r = CompressionRun.JSON.createObjectNode();
    r.put("method", recipe.method().name());
    r.put("sparsity", recipe.targetSparsity());
    r.put("mask_structure", recipe.pattern().toString());
    ArrayNode ignore = r.putArray("ignore");
    recipe.ignore().forEach(ignore::add);
    root.set("recipe", r);
    return root;
  }

  private ParameterException usage(String message) {
    return new ParameterException(new picocli.CommandLine(this), message);
  }
}
