package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.prune.BlockLinears;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;

/** sparsej compress with a run_type: train stage: SparseGPT then fine-tuning, the masks held; bad train stages. */
class CompressFinetuneStageTest {
  private static final String MODEL = SharedData.sj7m().toString();
  private static final String PRUNE = """
      sparsity_stage:
        run_type: oneshot
        sparsity_modifiers:
          SparseGPTModifier: {sparsity: 0.5, mask_structure: "0:0", targets: [Linear], ignore: [lm_head]}
      """;
  @TempDir static Path shared;
  private static Path text;

  @TempDir Path dir;

  @BeforeAll
  static void smallText() throws IOException {
    text = SharedData.calibrationText(shared);  // 40 kB of train.txt: calibration and training text
  }

  /** A train stage on {@link #text}: few short steps, so the test takes seconds. */
  private static String trainStage(String distillation) {
    return "finetuning_stage:\n  run_type: train\n  data: " + text + "\n  steps: 8\n  batch: 4\n  seqlen: 32\n"
        + "  lr: 2e-4\n  heldout: 400\n  eval_every: 0\n  pruning_modifiers:\n"
        + "    ConstantPruningModifier: {targets: [Linear], start: 0}\n" + distillation;
  }

  private static final String KD = "  distillation_modifiers:\n    OutputDistillationModifier: {teacher: " + MODEL
      + ", comparison: kl_divergence}\n";

  private CliRun compress(String recipe, Path out) throws IOException {
    Path file = Files.createTempFile(shared, "recipe", ".yaml");
    Files.writeString(file, recipe);
    return CliRun.of("compress", "-m", MODEL, "--recipe", file.toString(), "--calib", text.toString(),
        "--samples", "4", "--seqlen", "32", "--backend", "cpu", "-t", "2", "-o", out.toString());
  }

  @Test
  void sparseGptThenDistillationKeepsTheZerosAndLowersTheHeldOutLoss() throws IOException {
    Path pruned = dir.resolve("pruned");
    CliRun p = compress(PRUNE, pruned);
    assertEquals(0, p.exitCode(), p.err());
    Path tuned = dir.resolve("tuned");
    CliRun t = compress(PRUNE + trainStage(KD), tuned);
    assertEquals(0, t.exitCode(), t.err());
    assertTrue(t.err().contains("stage finetuning: fine-tuning the model after stage 'sparsity'"), t.err());
    assertFalse(t.err().contains("trains dense"), t.err());

    LlamaModel a = ModelLoader.load(pruned);
    LlamaModel b = ModelLoader.load(tuned);
    long zeros = 0;
    long changed = 0;
    long total = 0;
    for (int l = 0; l < a.config().nLayers(); l++) {
      LinearWeight[] wa = BlockLinears.of(a.weights().layers().get(l));
      LinearWeight[] wb = BlockLinears.of(b.weights().layers().get(l));
      for (int i = 0; i < wa.length; i++) {
        float[] x = wa[i].toDense().toFloatArray();
        float[] y = wb[i].toDense().toFloatArray();
        assertEquals(x.length, y.length);
        for (int j = 0; j < x.length; j++) {
          assertEquals(x[j] == 0, y[j] == 0, "block " + l + " linear " + i + " entry " + j + ": mask held");
          zeros += x[j] == 0 ? 1 : 0;
          changed += x[j] != y[j] ? 1 : 0;
        }
        total += x.length;
      }
    }
    assertEquals(0.5, (double) zeros / total, 0.001, "SparseGPT's 50%");
    assertTrue(changed > (total - zeros) / 2, "most kept weights trained: " + changed + " of " + (total - zeros));

    List<String> csv = Files.readAllLines(tuned.resolve("finetune-finetuning.csv"));
    assertEquals(1 + 1 + 8 + 1, csv.size(), "header, step 0, 8 steps, the end's evaluation: " + csv);
    double before = Double.parseDouble(csv.get(1).substring(csv.get(1).lastIndexOf(',') + 1));
    double after = Double.parseDouble(csv.get(10).substring(csv.get(10).lastIndexOf(',') + 1));
    assertTrue(after < before, "held-out perplexity " + before + " -> " + after);
    String json = Files.readString(tuned.resolve("compress.json"));
    assertTrue(json.contains("\"SparseGPTModifier\"") && json.contains("\"finetune\"")
        && json.contains("\"loss\" : \"kd\""), json);
    assertTrue(Files.readString(tuned.resolve("recipe.yaml")).contains("OutputDistillationModifier"));
  }

  @Test
  void aTrainStageBeforeAnyPruningWarnsThatItTrainsDense() throws IOException {
    Path out = dir.resolve("dense");
    CliRun r = compress(trainStage("").replace("steps: 8", "steps: 2"), out);
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("warning: the input model has no sparse layers: it trains dense"), r.err());
    assertTrue(Files.exists(out.resolve("finetune-finetuning.csv")));
  }

  @Test
  void badTrainStagesAreOneLineAndWriteNothing() throws IOException {
    Path out = dir.resolve("out");
    String[][] cases = {
        {PRUNE + trainStage(KD).replace("  steps: 8\n", "  steps: 8\n  epochs: 1\n"), "unknown field 'epochs'"},
        {PRUNE + trainStage("  distillation_modifiers:\n    OutputDistillationModifier: {comparison: square_head}\n"),
            "needs a teacher"},
        {PRUNE + trainStage(KD.replace(MODEL, dir.resolve("none.bin").toString())), "not found"},
        {PRUNE + trainStage(KD).replace(text.toString(), dir.resolve("none.txt").toString()), "none.txt not found"},
        {PRUNE + trainStage(KD).replace("ConstantPruningModifier", "MagnitudePruningModifier"),
            "cannot run in a train stage"},
        {PRUNE.replace("SparseGPTModifier", "ConstantPruningModifier"), "belongs in a stage with run_type: train"}};
    for (String[] c : cases) {
      compress(c[0], out).assertFails(1, c[1]);
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written after a failed run");
    }
  }
}
