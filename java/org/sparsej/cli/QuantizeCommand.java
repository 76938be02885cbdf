package org.sparsej.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.Stage;
import org.sparsej.quantize.QuantizationModifier;
import org.sparsej.quantize.QuantizationScheme;
import org.sparsej.quantize.SmoothQuantModifier;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** INT8 quantization (W8A8 or W8A16), optionally smoothed and selective: a one-stage recipe, as compress runs it. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
    description = {"Quantize a model's block linears to INT8 (W8A8 or W8A16), with SmoothQuant and selective FP32 layers.",
        "Dense or pruned: a pruned model keeps its zeros and becomes sparse INT8; embeddings, norms and the classifier",
        "stay FP32 (--int8-lm-head: the classifier too).",
        "  --scheme w8a8   INT8 weights (one symmetric scale per output row) and INT8 activations, quantized",
        "                  per token at run time",
        "  --scheme w8a16  INT8 weights, FP32 activations",
        "  --smoothquant A SmoothQuant (Xiao et al. 2023) with strength A in [0, 1] first: activation outliers move",
        "                  into the weights, folded into the norms, v_proj and up_proj so the float model is the same",
        "  --ignore auto:K rank the linears by input range and by the perplexity change each causes when it alone",
        "                  is quantized (on the calibration text), print the ranking, keep the K most sensitive FP32",
        "This is the one-stage recipe 'quantize_stage: quantize_modifiers: [SmoothQuantModifier,]",
        "QuantizationModifier' of sparsej compress, run by the same code. OUT is a new Hugging Face directory",
        "(compressed-tensors int-quantized) with quantize.json (settings, per-linear error, ranking)."})
final class QuantizeCommand implements Callable<Integer> {
  @Mixin ModelOptions modelOptions;
  @Mixin BackendOptions backendOptions;
  @Mixin CalibrationOptions calibration;
  @Mixin HfLayoutOption layout;

  @Option(names = "--scheme", required = true, paramLabel = "SCHEME", description = "w8a8 or w8a16.")
  String scheme;

  @Option(names = "--smoothquant", paramLabel = "ALPHA",
      description = "Smooth first with migration strength ALPHA in [0, 1] (0.5 is the paper's default; needs --calib).")
  Double alpha;

  @Option(names = "--ignore", split = ",", paramLabel = "NAME",
      description = "Linears to keep FP32: auto:K (the K most sensitive; needs --calib), layers.L.wq|..|w3, a "
          + "suffix (w2, down_proj), a block (layers.0) or re:REGEX.")
  List<String> ignore = new ArrayList<>();

  @Option(names = "--int8-lm-head",
      description = "Quantize the classifier (lm_head) too, dense INT8 in the same scheme (the recipe target "
          + "lm_head); a classifier tied to the embedding is then stored untied (the embedding stays FP32).")
  boolean int8LmHead;

  @Mixin RankSamplesOption rankSamples;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output directory (new).")
  Path output;

  @Override
  public Integer call() {
    List<BlockModifier> modifiers = new ArrayList<>();
    try {
      QuantizationScheme s = QuantizationScheme.parse(scheme);
      if (alpha != null) {
        modifiers.add(new SmoothQuantModifier(alpha));
      }
      List<String> targets = int8LmHead ? List.of("Linear", "lm_head") : List.of("Linear");
      modifiers.add(new QuantizationModifier(s, targets, ignore, rankSamples.value()));
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    String problem = calibration.problem();
    if (problem != null) {
      throw usage(problem);
    }
    boolean needsText = modifiers.stream().anyMatch(BlockModifier::requiresCalibration);
    if (needsText && calibration.calib == null) {
      throw usage((alpha != null ? "--smoothquant" : "--ignore auto:K") + " reads calibration text: give --calib FILE");
    }
    CompressionRun run = new CompressionRun(modelOptions, calibration, output);
    String contextProblem = calibration.contextProblem(run.model);
    if (contextProblem != null) {
      throw usage(contextProblem);
    }
    try {
      for (BlockModifier m : modifiers) {
        m.validate(run.model);
      }
    } catch (SparsejException e) {
      throw usage(e.getMessage());
    }
    List<Stage> stages = List.of(new Stage("quantize", modifiers));
    run.runToHf(stages, backendOptions, output,
        () -> Map.of("quantize.json", CompressionRun.text(run.describe(stages))),
        layout.writerOptions());
    System.err.println("wrote " + output + " (run: sparsej eval ppl -m " + output + " --text FILE)");
    return 0;
  }

  private ParameterException usage(String message) {
    return new ParameterException(new picocli.CommandLine(this), message);
  }
}
