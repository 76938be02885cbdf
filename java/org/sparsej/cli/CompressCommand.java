package org.sparsej.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.prune.Stage;
import org.sparsej.quantize.CompressionRecipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Runs an llm-compressor recipe: its stages in order, each block calibrated on the already-compressed blocks. */
@Command(name = "compress", mixinStandardHelpOptions = true,
    description = {"Compress a model with an llm-compressor recipe (YAML): pruning, SmoothQuant, INT8 quantization.",
        "Stages run in order, each modifier one block-by-block pass calibrated on what the already-compressed blocks",
        "produce. For example",
        "  sparsity_stage:",
        "    sparsity_modifiers:",
        "      SparseGPTModifier: {sparsity: 0.5, mask_structure: \"0:0\", targets: [Linear], ignore: [lm_head]}",
        "  quantization_stage:",
        "    quantization_modifiers:",
        "      SmoothQuantModifier: {smoothing_strength: 0.5}",
        "      QuantizationModifier: {scheme: W8A8, targets: [Linear], ignore: [lm_head]}",
        "Modifiers: SparseGPTModifier, WandaPruningModifier, MagnitudePruningModifier (sparsity, mask_structure",
        "\"0:0\" or \"N:M\", targets, ignore); SmoothQuantModifier (smoothing_strength, mappings, ignore);",
        "QuantizationModifier (scheme W8A8|W8A16, targets, ignore; ignore may hold auto:K). Names in targets",
        "and ignore: Linear, model.layers.L.self_attn.q_proj-style module names, suffixes (down_proj) or",
        "re:REGEX. The classifier stays FP32 unless a QuantizationModifier's targets name it (targets: [Linear,",
        "lm_head]; unlike llm-compressor, Linear alone leaves it out). A stage with run_type: train fine-tunes",
        "the model as sparsej finetune does, masks held: fields data, steps (required), lr, batch, seqlen,",
        "warmup, weight_decay, seed, heldout, eval_every; ConstantPruningModifier (required) and optionally",
        "OutputDistillationModifier {teacher: MODEL, comparison: kl_divergence|square_head} (see",
        "docs/finetune.md). OUT is a new Hugging Face directory with recipe.yaml and compress.json beside the model."})
final class CompressCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;
  @Mixin CalibrationOptions calibration;
  @Mixin HfLayoutOption layout;

  @Option(names = "--recipe", required = true, paramLabel = "RECIPE.yaml", description = "The recipe.")
  Path recipe;

  @Mixin RankSamplesOption rankSamples;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output directory (new).")
  Path output;

  @Override
  public Integer call() {
    String problem = calibration.problem();
    if (problem != null) {
      throw usage(problem);
    }
    String text = TextFiles.read(recipe, "recipe");
    List<Stage> stages = CompressionRecipe.parse(text, recipe.toString(), rankSamples.value());
    CompressionRun run = new CompressionRun(modelOptions, calibration, output);
    String contextProblem = calibration.contextProblem(run.model);
    if (contextProblem != null) {
      throw usage(contextProblem);
    }
    if (stages.stream().anyMatch(Stage::trains)) {
      TrainingRecipeRun.run(modelOptions, calibration, backendOptions, stages, run, output, text,
          layout.writerOptions());
      System.err.println("wrote " + output + " (run: sparsej eval ppl -m " + output + " --text FILE)");
      return 0;
    }
    run.runToHf(stages, backendOptions, output,
        () -> Map.of("recipe.yaml", text, "compress.json", CompressionRun.text(run.describe(stages))),
        layout.writerOptions());
    System.err.println("wrote " + output + " (run: sparsej eval ppl -m " + output + " --text FILE)");
    return 0;
  }

  private ParameterException usage(String message) {
    return new ParameterException(new picocli.CommandLine(this), message);
  }
}
