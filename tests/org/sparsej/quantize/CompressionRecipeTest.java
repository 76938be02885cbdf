package org.sparsej.quantize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparsej.prune.PruningModifier;
import org.sparsej.prune.SparsityPattern;
import org.sparsej.prune.Stage;
import org.sparsej.util.SparsejException;

/** llm-compressor's recipe shapes parse into stages; every kind of mistake is one message naming it. */
class CompressionRecipeTest {
  private static List<Stage> parse(String yaml) {
    return CompressionRecipe.parse(yaml, "recipe.yaml", 16);
  }

  private static String error(String yaml) {
    SparsejException e = assertThrows(SparsejException.class, () -> parse(yaml));
    assertTrue(e.getMessage().startsWith("recipe.yaml: "), e.getMessage());
    assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    return e.getMessage();
  }

  /** The classifier a recipe's single QuantizationModifier leaves, given its targets and ignore lists. */
  private static org.sparsej.weights.WeightFormat classifierAfter(String targets, String ignore) {
    List<Stage> stages = parse("""
        quant_stage:
          quant_modifiers:
            QuantizationModifier: {scheme: W8A8, targets: %s, ignore: %s}
        """.formatted(targets, ignore));
    org.sparsej.prune.BlockModifier m = stages.get(0).modifiers().get(0);
    org.sparsej.weights.LinearWeight head = new org.sparsej.weights.DenseF32Weight(
        new org.sparsej.testing.RandomTensors(3).uniform(64, 32));
    List<org.sparsej.prune.LayerwisePruning.LinearReport> reports = new java.util.ArrayList<>();
    org.sparsej.weights.LinearWeight out = m.classifier(head, reports::add);
    assertEquals(out == head ? 0 : 1, reports.size(), "a quantized classifier is reported");
    return out.format();
  }

  @Test
  void theClassifierIsQuantizedOnlyWhenATargetNamesIt() {
    org.sparsej.weights.WeightFormat f32 = org.sparsej.weights.WeightFormat.DENSE_F32;
    org.sparsej.weights.WeightFormat w8a8 = org.sparsej.weights.WeightFormat.DENSE_W8A8;
    assertEquals(f32, classifierAfter("[Linear]", "[]"), "the default stays FP32");
    assertEquals(f32, classifierAfter("[Linear]", "[lm_head]"));
    assertEquals(w8a8, classifierAfter("[Linear, lm_head]", "[]"));
    assertEquals(w8a8, classifierAfter("[Linear, \"re:.*lm_head\"]", "[]"));
    assertEquals(f32, classifierAfter("[Linear, lm_head]", "[\"re:.*lm_head\"]"), "ignore wins");
    assertEquals(w8a8, classifierAfter("[lm_head]", "[]"), "the classifier alone");
  }

  @Test
  void readsTheStagedShapeOfTheLlmCompressorExamples() {
    List<Stage> stages = parse("""
        sparsity_stage:
          run_type: oneshot
          sparsity_modifiers:
            SparseGPTModifier:
              sparsity: 0.5
              mask_structure: "2:4"
              targets: ["Linear"]
              ignore: ["re:.*lm_head"]
        quantization_stage:
          run_type: oneshot
          quantization_modifiers:
            SmoothQuantModifier:
              smoothing_strength: 0.8
              mappings: [
                [["re:.*q_proj", "re:.*k_proj", "re:.*v_proj"], "re:.*input_layernorm"],
                [["re:.*gate_proj", "re:.*up_proj"], "re:.*post_attention_layernorm"]
              ]
            QuantizationModifier:
              targets: Linear
              scheme: W8A8
              ignore: [lm_head, "auto:2"]
        """);
    assertEquals(List.of("sparsity", "quantization"), stages.stream().map(Stage::name).toList());
    PruningModifier p = assertInstanceOf(PruningModifier.class, stages.get(0).modifiers().get(0));
    assertEquals("SparseGPTModifier", p.name());
    assertEquals(new SparsityPattern(2, 4), p.recipe().pattern());
    assertEquals(0.5, p.recipe().targetSparsity());
    SmoothQuantModifier sq = assertInstanceOf(SmoothQuantModifier.class, stages.get(1).modifiers().get(0));
    assertEquals(0.8, sq.alpha());
    assertEquals(EnumSet.of(SmoothQuant.Mapping.QKV, SmoothQuant.Mapping.GATE_UP), sq.mappings());
    QuantizationModifier q = assertInstanceOf(QuantizationModifier.class, stages.get(1).modifiers().get(1));
    assertEquals(QuantizationScheme.W8A8, q.scheme());
    assertTrue(q.describe().contains("2 most sensitive"), q.describe());
  }

  @Test
  void readsBareModifierGroupsAndDefaults() {
    List<Stage> stages = parse("""
        pruning_modifiers:
          WandaPruningModifier: {sparsity: "0.6", mask_structure: "0:0"}
          MagnitudePruningModifier: {mask_structure: "4:8"}
        quant_modifiers:
          SmoothQuantModifier:
          QuantizationModifier: {scheme: w8a16}
        """);
    assertEquals(2, stages.size());
    PruningModifier wanda = (PruningModifier) stages.get(0).modifiers().get(0);
    assertEquals(SparsityPattern.UNSTRUCTURED, wanda.recipe().pattern());
    assertEquals(0.6, wanda.recipe().targetSparsity(), 1e-12);
    PruningModifier magnitude = (PruningModifier) stages.get(0).modifiers().get(1);
    assertEquals(0.5, magnitude.recipe().targetSparsity(), "n:m fixes the sparsity");
    SmoothQuantModifier sq = (SmoothQuantModifier) stages.get(1).modifiers().get(0);
    assertEquals(0.5, sq.alpha(), "llm-compressor's default strength");
    assertEquals(EnumSet.allOf(SmoothQuant.Mapping.class), sq.mappings());
    assertEquals(QuantizationScheme.W8A16, ((QuantizationModifier) stages.get(1).modifiers().get(1)).scheme());
  }

  @Test
  void modifiersWithNoFieldsReadAsEmptyMappings() {
    assertTrue(error("q_stage:\n  q_modifiers:\n    QuantizationModifier:\n").contains("needs a scheme"));
    assertTrue(error("s_stage:\n  s_modifiers:\n    SparseGPTModifier:\n").contains("needs a sparsity"));
    assertEquals("recipe.yaml: SmoothQuantModifier: expected a mapping of fields",
        error("q_stage:\n  q_modifiers:\n    SmoothQuantModifier: [0.5]\n"));
  }

  @Test
  void mistakesAreOneLineNamingThem() {
    assertTrue(error("quant_stage:\n  quant_modifiers:\n    GPTQModifier: {scheme: W8A8}\n")
        .contains("unknown modifier 'GPTQModifier'"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, blocksize: 64}\n")
        .contains("SparseGPTModifier has no field 'blocksize'"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    QuantizationModifier: {scheme: W4A16}\n")
        .contains("unknown quantization scheme 'W4A16'"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    QuantizationModifier: {targets: [Linear]}\n")
        .contains("needs a scheme"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SmoothQuantModifier: {smoothing_strength: 1.5}\n")
        .contains("[0, 1]"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SmoothQuantModifier: {smoothing_strength: high}\n")
        .contains("must be a number"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SparseGPTModifier: {sparsity: 1.0}\n").contains("[0, 1)"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SparseGPTModifier: {mask_structure: \"2-4\"}\n")
        .contains("mask_structure"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    WandaPruningModifier: {}\n").contains("needs a sparsity"));
    assertTrue(error("s_stage:\n  run_type: train\n  m_modifiers:\n    SmoothQuantModifier: {}\n")
        .contains("cannot run in a train stage"));
    assertTrue(error("s_stage:\n  run_type: calibrate\n  m_modifiers:\n    SmoothQuantModifier: {}\n")
        .contains("oneshot and train"));
    assertTrue(error("s_stage:\n  extra: 1\n").contains("unknown key 'extra'"));
    assertTrue(error("stages:\n  - a\n").contains("unknown top-level key 'stages'"));
    assertTrue(error("- just a list\n").contains("not a recipe"));
    assertTrue(error("a_stage: {m_modifiers: {SmoothQuantModifier: {}}}\na_stage: {}\n").contains("YAML"));
    assertTrue(error("a_stage:\n  m_modifiers: [1, 2\n").contains("YAML"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    SmoothQuantModifier:\n      mappings: [[[\"re:.*o_proj\"], "
        + "\"re:.*q_proj\"]]\n").contains("not one sparsej can fold"));
    assertTrue(error("s_stage:\n  m_modifiers:\n    QuantizationModifier: {scheme: W8A8, ignore: [\"auto:x\"]}\n")
        .contains("auto:K"));
  }
}
