package org.sparsej.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.prune.Stage;
import org.sparsej.train.FinetuneSettings;
import org.sparsej.train.LossKind;
import org.sparsej.util.SparsejException;

/** A recipe's run_type: train stage parses into finetune's settings; every mistake is one message naming it. */
class TrainStageTest {
  private static final String PRUNE = "sparsity_stage:\n  sparsity_modifiers:\n    SparseGPTModifier: {sparsity: 0.5}\n";
  private static final String HOLD = "  pruning_modifiers:\n    ConstantPruningModifier: {targets: [Linear], start: 0}\n";

  private static String train(String fields, String modifiers) {
    return PRUNE + "finetuning_stage:\n  run_type: train\n" + fields + modifiers;
  }

  private static String error(String yaml) {
    SparsejException e = assertThrows(SparsejException.class, () -> CompressionRecipe.parse(yaml, "r.yaml", 16));
    assertTrue(e.getMessage().startsWith("r.yaml: "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e.getMessage();
  }

  @Test
  void llmCompressorsShapeWithFinetuneOptionsAsFields() {
    List<Stage> stages = CompressionRecipe.parse(train("  data: t.txt\n  steps: 30\n  lr: 2e-4\n  batch: 2\n"
        + "  seqlen: 64\n  warmup: 3\n  weight_decay: 0.01\n  seed: 7\n  heldout: 100\n  eval_every: 10\n", HOLD
        + "  distillation_modifiers:\n    OutputDistillationModifier:\n      teacher: dense\n"
        + "      targets: ['re:model.layers.\\\\d+$']\n      comparison: square_head\n      start: 0\n"), "r.yaml", 16);
    assertEquals(2, stages.size());
    assertTrue(!stages.get(0).trains() && stages.get(1).trains());
    assertEquals("finetuning", stages.get(1).name());
    assertEquals(List.of(), stages.get(1).modifiers());
    FinetuneSettings s = stages.get(1).train();
    assertEquals(new FinetuneSettings(Path.of("t.txt"), Path.of("dense"), LossKind.KD_SQUAREHEAD, 30, 2, 64, 2e-4f,
        3, 0.01f, 7, 100, 10, 0, Double.POSITIVE_INFINITY), s);

    FinetuneSettings kd = CompressionRecipe.parse(train("  data: t.txt\n  steps: 5\n", HOLD
        + "  distillation_modifiers:\n    OutputDistillationModifier: {teacher: d, comparison: kl_divergence}\n"),
        "r.yaml", 16).get(1).train();
    assertEquals(LossKind.KD, kd.loss());
    assertEquals(FinetuneSettings.DEFAULT_BATCH, kd.batch());
    assertNull(kd.seqLen(), "the model's default");
    FinetuneSettings ce = CompressionRecipe.parse(train("  data: t.txt\n  steps: 5\n", HOLD), "r.yaml", 16).get(1)
        .train();
    assertEquals(LossKind.CE, ce.loss());
    assertNull(ce.teacher());
  }

  /** A modifier named with no fields reads as one with an empty mapping, as in a oneshot stage. */
  @Test
  void modifiersWithNoFieldsReadAsEmptyMappings() {
    String ok = "  data: t.txt\n  steps: 5\n";
    String bare = "  pruning_modifiers:\n    ConstantPruningModifier:\n";
    FinetuneSettings ce = CompressionRecipe.parse(train(ok, bare), "r.yaml", 16).get(1).train();
    assertEquals(LossKind.CE, ce.loss());
    assertNull(ce.teacher());
    assertTrue(error(train(ok, bare + "  distillation_modifiers:\n    OutputDistillationModifier:\n"))
        .contains("OutputDistillationModifier needs a teacher"));
    assertEquals("r.yaml: stage 'finetuning_stage' (run_type: train): ConstantPruningModifier: expected a mapping "
        + "of fields", error(train(ok, "  pruning_modifiers:\n    ConstantPruningModifier: [Linear]\n")));
  }

  @Test
  void mistakesAreOneMessage() {
    String ok = "  data: t.txt\n  steps: 5\n";
    String distil = "  distillation_modifiers:\n    OutputDistillationModifier: ";
    assertTrue(error(train(ok + "  epochs: 3\n", HOLD)).contains("unknown field 'epochs'"));
    assertTrue(error(train(ok, HOLD + distil + "{comparison: square_head}\n")).contains("needs a teacher"));
    assertTrue(error(train(ok, HOLD + distil + "{teacher: d, orig_scale: 1.0}\n"))
        .contains("has no field 'orig_scale'"));
    assertTrue(error(train(ok, HOLD + distil + "{teacher: d, comparison: cosine_similarity}\n"))
        .contains("'cosine_similarity' is not one sparsej trains"));
    assertTrue(error(train(ok, distil + "{teacher: d}\n")).contains("needs a ConstantPruningModifier"));
    assertTrue(error(train(ok, "  pruning_modifiers:\n    ConstantPruningModifier: {start: 2}\n"))
        .contains("start must be 0"));
    assertTrue(error(train("  steps: 5\n", HOLD)).contains("needs data"));
    assertTrue(error(train("  data: t.txt\n", HOLD)).contains("needs steps"));
    assertTrue(error(train("  data: t.txt\n  steps: 2.5\n", HOLD)).contains("steps must be a whole number"));
    assertTrue(error(train(ok + "  lr: -1\n", HOLD)).contains("lr must be a positive number"));
    assertTrue(error(train(ok + "  weight_decay: 2\n", HOLD)).contains("weight_decay must be in [0, 1)"));
    assertTrue(error(train(ok, HOLD + "  quantization_modifiers:\n    QuantizationModifier: {scheme: W8A8}\n"))
        .contains("'QuantizationModifier' cannot run in a train stage"));
    assertTrue(error("q_stage:\n  q_modifiers:\n    QuantizationModifier: {scheme: W8A8}\n"
        + "t_stage:\n  run_type: train\n" + ok + HOLD).contains("trains after a QuantizationModifier"));
    assertTrue(error(PRUNE + "h_stage:\n" + HOLD).contains("belongs in a stage with run_type: train"));
  }
}
