package org.sparsej.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsej.format.hf.HfModelWriter;
import org.sparsej.model.LlamaModel;
import org.sparsej.prune.LayerwisePruning;
import org.sparsej.prune.Stage;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.train.FinetuneSettings;
import org.sparsej.util.SparsejException;

/**
 * A recipe with train stages: the oneshot stages between them run block by block as {@link CompressionRun} runs
 * them (in memory), each train stage fine-tunes the whole model as it stands through {@link FinetuneRun}, the
 * code {@code sparsej finetune} runs; OUT is written once, at the end, with recipe.yaml, compress.json and each
 * train stage's per-step log as finetune-STAGE.csv.
 */
final class TrainingRecipeRun {
  private TrainingRecipeRun() {}

  /** Checks what can be checked before any work (files, the oneshot stages against the model), then runs. */
  static void run(ModelOptions modelOptions, CalibrationOptions calibration, BackendOptions backendOptions,
                  List<Stage> stages, CompressionRun first, Path output, String recipeText,
                  HfModelWriter.Options writerOptions) {
    for (Stage s : stages) {
      if (s.trains()) {
        FinetuneSettings t = s.train();
        requireFile(s, "data", t.data());
        if (t.teacher() != null && !Files.exists(t.teacher())) {
          throw new SparsejException("stage '" + s.name() + "': teacher " + t.teacher() + " not found");
        }
      }
    }
    LayerwisePruning.validate(first.model, stages.stream().filter(s -> !s.trains()).toList(),
        calibration.calib != null);
    int threads = backendOptions.threads();
    Tokenizer tok = modelOptions.loadTokenizer(first.model);
    ObjectNode root = CompressionRun.JSON.createObjectNode();
    root.put("source", modelOptions.model.toString());
    ArrayNode parts = root.putArray("parts");
    Map<String, String> extras = new LinkedHashMap<>();
    extras.put("recipe.yaml", recipeText);
    LlamaModel current = first.model;
    List<Stage> pending = new ArrayList<>();
    String after = "the input model";
    for (Stage s : stages) {
      if (!s.trains()) {
        pending.add(s);
        continue;
      }
      if (!pending.isEmpty()) {
        current = oneshot(modelOptions, calibration, backendOptions, current, pending, parts);
        after = "the model after stage '" + pending.get(pending.size() - 1).name() + "'";
        pending.clear();
      }
      System.err.println("stage " + s.name() + ": fine-tuning " + after);
      FinetuneRun.Outcome o = FinetuneRun.run(after, current, tok, s.train(), threads, null, null);
      current = o.model();
      parts.addObject().put("stage", s.name()).set("finetune", FinetuneCommand.describe(o.described(),
          o.result(), threads));
      extras.put("finetune-" + s.name() + ".csv", o.csv());
      after = "the model after stage '" + s.name() + "'";
    }
    if (!pending.isEmpty()) {
      current = oneshot(modelOptions, calibration, backendOptions, current, pending, parts);
    }
    extras.put("compress.json", CompressionRun.text(root));
    CompressionRun.writeHf(modelOptions, HfModelWriter.Source.of(current), output, extras, writerOptions);
  }

  private static LlamaModel oneshot(ModelOptions modelOptions, CalibrationOptions calibration,
                                    BackendOptions backendOptions, LlamaModel model, List<Stage> stages,
                                    ArrayNode parts) {
    CompressionRun run = new CompressionRun(modelOptions, calibration, model);
    run.run(List.copyOf(stages), backendOptions);
    parts.add(run.describe(List.copyOf(stages)));
    return run.result().model();
  }

  private static void requireFile(Stage s, String field, Path p) {
    if (!Files.isRegularFile(p)) {
      throw new SparsejException("stage '" + s.name() + "': " + field + " " + p + " not found");
    }
  }
}
