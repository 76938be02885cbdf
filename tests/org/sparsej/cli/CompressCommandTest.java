package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import org.sparsej.weights.WeightFormat;

/** sparsej compress: llm-compressor recipes end to end, the same code path as prune, and bad recipes. */
class CompressCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();
  @TempDir static Path shared;
  private static Path calib;

  @TempDir Path dir;

  @BeforeAll
  static void smallCalibrationText() throws IOException {
    calib = SharedData.calibrationText(shared);
  }

  private CliRun compress(String recipe, Path out) throws IOException {
    Path file = Files.createTempFile(shared, "recipe", ".yaml");
    Files.writeString(file, recipe);
    return CliRun.of("compress", "-m", MODEL, "--recipe", file.toString(), "--calib", calib.toString(),
        "--samples", "4", "--seqlen", "32", "--backend", "cpu", "-o", out.toString());
  }

  @Test
  void pruneIsTheOneStageRecipeRunByTheSameCode() throws IOException {
    Path viaPrune = dir.resolve("prune");
    CliRun prune = CliRun.of("prune", "-m", MODEL, "--method", "wanda", "--sparsity", "0.5", "--calib",
        calib.toString(), "--samples", "4", "--seqlen", "32", "--backend", "cpu", "-o", viaPrune.toString());
    assertEquals(0, prune.exitCode(), prune.err());
    Path viaRecipe = dir.resolve("recipe");
    CliRun recipe = compress("""
        sparsity_stage:
          run_type: oneshot
          sparsity_modifiers:
            WandaPruningModifier: {sparsity: 0.5, mask_structure: "0:0", targets: [Linear], ignore: [lm_head]}
        """, viaRecipe);
    assertEquals(0, recipe.exitCode(), recipe.err());
    LlamaModel a = ModelLoader.load(viaPrune);
    LlamaModel b = ModelLoader.load(viaRecipe);
    for (int l = 0; l < a.config().nLayers(); l++) {
      LinearWeight[] wa = BlockLinears.of(a.weights().layers().get(l));
      LinearWeight[] wb = BlockLinears.of(b.weights().layers().get(l));
      for (int i = 0; i < wa.length; i++) {
        assertArrayEquals(wa[i].toDense().toFloatArray(), wb[i].toDense().toFloatArray(), "block " + l + " " + i);
      }
    }
    assertTrue(Files.readString(viaRecipe.resolve("recipe.yaml")).contains("WandaPruningModifier"));
    assertTrue(Files.readString(viaRecipe.resolve("compress.json")).contains("\"WandaPruningModifier\""));
  }

  @Test
  void stagesRunInOrderPruneThenSmoothThenQuantize() throws IOException {
    Path out = dir.resolve("sparse-int8");
    CliRun run = compress("""
        sparsity_stage:
          sparsity_modifiers:
            MagnitudePruningModifier: {mask_structure: "2:4", ignore: [re:.*down_proj]}
        quantization_stage:
          quantization_modifiers:
            SmoothQuantModifier: {smoothing_strength: 0.5}
            QuantizationModifier: {scheme: W8A16, targets: [Linear], ignore: [lm_head, layers.5]}
        """, out);
    assertEquals(0, run.exitCode(), run.err());
    String err = run.err();
    assertTrue(err.indexOf("stage sparsity") < err.indexOf("stage quantization"), err);
    assertTrue(err.indexOf("SmoothQuantModifier") < err.indexOf("QuantizationModifier ("), err);
    assertTrue(run.out().contains("MagnitudePruningModifier:"), run.out());
    LlamaModel m = ModelLoader.load(out);
    for (int l = 0; l < m.config().nLayers(); l++) {
      LinearWeight[] ws = BlockLinears.of(m.weights().layers().get(l));
      for (int i = 0; i < ws.length; i++) {
        long zeros = BlockLinears.countZeros(ws[i]);
        long size = (long) ws[i].rows() * ws[i].cols();
        boolean fp32 = l == 5;
        if (i == 5) {
          assertTrue(zeros < size / 10, "down_proj was not pruned");
          assertEquals(fp32 ? WeightFormat.DENSE_F32 : WeightFormat.DENSE_W8A16, ws[i].format());
        } else {
          assertTrue(zeros >= size / 2, "2:4 kept through smoothing and quantization: block " + l + " " + i);
          assertEquals(fp32 ? WeightFormat.SPARSE_24_F32 : WeightFormat.SPARSE_24_I8, ws[i].format());
        }
      }
    }
    double[] ppl = EvalPplTest.pplAndTokens(CliRun.of("eval", "ppl", "-m", out.toString(),
        "--text", SharedData.path("data/sj-corpus/eval-shakespeare.txt").toString(), "--max-tokens", "200",
        "--backend", "cpu"));
    assertTrue(Double.isFinite(ppl[0]) && ppl[0] > 1 && ppl[0] < 200, "ppl " + ppl[0]);
  }

  @Test
  void badRecipesAreOneLineAndWriteNothing() throws IOException {
    Path out = dir.resolve("out");
    String[][] cases = {
        {"q_stage:\n  q_modifiers:\n    GPTQModifier: {scheme: W8A8}\n", "unknown modifier 'GPTQModifier'"},
        {"q_stage:\n  q_modifiers:\n    QuantizationModifier: {scheme: W8A8, group_size: 128}\n",
            "has no field 'group_size'"},
        {"q_stage:\n  q_modifiers:\n    QuantizationModifier: {scheme: FP8}\n", "unknown quantization scheme"},
        {"q_stage:\n  q_modifiers:\n    SmoothQuantModifier: {smoothing_strength: 2}\n", "[0, 1]"},
        {"q_stage:\n  q_modifiers:\n    QuantizationModifier: {scheme: W8A8, ignore: [layers.7]}\n",
            "names no linear"},
        {"q_stage:\n  q_modifiers:\n    SparseGPTModifier: {sparsity: 0.5, targets: [re:.*qproj]}\n",
            "names no linear"}};
    for (String[] c : cases) {
      CliRun run = compress(c[0], out);
      assertEquals(1, run.exitCode(), c[0] + run.err());
      assertTrue(run.errorLine().contains(c[1]), run.err());
      assertFalse(run.err().contains("\tat "), run.err());
    }
    CliRun missing = CliRun.of("compress", "-m", MODEL, "--recipe", dir.resolve("none.yaml").toString(), "-o",
        out.toString());
    assertEquals(1, missing.exitCode(), missing.err());
    assertTrue(missing.errorLine().contains("recipe file not found"), missing.err());
    CliRun noCalib = CliRun.of("compress", "-m", MODEL, "--recipe", write("s_stage:\n  m_modifiers:\n"
        + "    SparseGPTModifier: {sparsity: 0.5}\n").toString(), "-o", out.toString());
    assertEquals(1, noCalib.exitCode(), noCalib.err());
    assertTrue(noCalib.errorLine().contains("needs calibration text"), noCalib.err());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written after a failed run");
    }
  }

  private Path write(String recipe) throws IOException {
    Path file = Files.createTempFile(shared, "recipe", ".yaml");
    Files.writeString(file, recipe);
    return file;
  }
}
