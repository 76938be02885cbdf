package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.prune.BlockLinears;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/** sparsej quantize end to end on sj-7m with a few short calibration samples, and its bad inputs. */
class QuantizeCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();
  @TempDir static Path shared;
  private static Path calib;

  @TempDir Path dir;

  @BeforeAll
  static void smallCalibrationText() throws IOException {
    calib = SharedData.calibrationText(shared);
  }

  static CliRun quantize(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("quantize", "-m", MODEL, "--calib", calib.toString(),
        "--samples", "4", "--seqlen", "32", "--backend", "cpu", "-o", out.toString()));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(new String[0]));
  }

  @Test
  void smoothedSelectiveW8a8LoadsAndKeepsTheRankedLinearsFp32() throws IOException {
    Path out = dir.resolve("q");
    CliRun run = quantize(out, "--scheme", "w8a8", "--smoothquant", "0.5", "--ignore", "auto:2,layers.0.wq",
        "--rank-samples", "2");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("stage quantize 100% done"), run.err());
    assertTrue(run.err().contains("kept FP32") && run.err().contains("input range"), "ranking printed: " + run.err());
    assertTrue(run.out().contains("SmoothQuantModifier:") && run.out().contains("QuantizationModifier:"), run.out());
    JsonNode report = new ObjectMapper().readTree(out.resolve("quantize.json").toFile());
    JsonNode ranking = report.get("stages").get(0).get("modifiers").get(1).get("sensitivity_ranking");
    assertEquals(41, ranking.size(), "every linear but the ignored one is ranked");
    for (int i = 1; i < ranking.size(); i++) {
      assertTrue(ranking.get(i - 1).get("ppl_change").asDouble() >= ranking.get(i).get("ppl_change").asDouble(),
          "most sensitive first");
    }
    List<String> kept = new ArrayList<>(List.of("layers.0.wq", ranking.get(0).get("name").asText(),
        ranking.get(1).get("name").asText()));
    int quantized = 0;
    for (JsonNode l : report.get("layers")) {
      if (l.get("modifier").asText().equals("QuantizationModifier")) {
        assertEquals(kept.contains(l.get("name").asText()), l.get("skipped").asBoolean(), l.toString());
        quantized += l.get("skipped").asBoolean() ? 0 : 1;
        if (!l.get("skipped").asBoolean()) {
          double e = l.get("relative_error").asDouble();
          assertTrue(e > 0 && e < 1e-3, "INT8 rounding error of " + l);
        }
      }
    }
    assertEquals(39, quantized);
    LlamaModel original = ModelLoader.load(Path.of(MODEL));
    LlamaModel q = ModelLoader.load(out);
    for (int l = 0; l < 6; l++) {
      LinearWeight[] ws = BlockLinears.of(q.weights().layers().get(l));
      LinearWeight[] os = BlockLinears.of(original.weights().layers().get(l));
      for (int i = 0; i < 7; i++) {
        assertEquals(os[i].rows(), ws[i].rows());
        String name = org.sparsej.prune.LinearNames.name(l, i);
        assertEquals(kept.contains(name) ? WeightFormat.DENSE_F32 : WeightFormat.DENSE_W8A8, ws[i].format(),
            name + " loads as stored");
      }
    }
    double[] ppl = EvalPplTest.pplAndTokens(CliRun.of("eval", "ppl", "-m", out.toString(),
        "--text", SharedData.path("data/sj-corpus/eval-shakespeare.txt").toString(), "--max-tokens", "300",
        "--backend", "cpu"));
    double[] base = EvalPplTest.pplAndTokens(CliRun.of("eval", "ppl", "-m", MODEL,
        "--text", SharedData.path("data/sj-corpus/eval-shakespeare.txt").toString(), "--max-tokens", "300",
        "--backend", "cpu"));
    assertTrue(Math.abs(ppl[0] / base[0] - 1) < 0.02, "W8A8+SQ ppl " + ppl[0] + " vs FP32 " + base[0]);
  }

  @Test
  void int8LmHeadQuantizesTheClassifierAndLeavesTheEmbedding() throws IOException {
    Path out = dir.resolve("q");
    CliRun run = quantize(out, "--scheme", "w8a16", "--int8-lm-head");
    assertEquals(0, run.exitCode(), run.err());
    LlamaModel original = ModelLoader.load(Path.of(MODEL));
    LlamaModel q = ModelLoader.load(out);
    assertEquals(WeightFormat.DENSE_W8A16, q.weights().classifier().format(), "lm_head loads as stored INT8");
    assertEquals(original.weights().tokenEmbedding().getFloat(12345), q.weights().tokenEmbedding().getFloat(12345),
        "the embedding stays FP32");
    JsonNode report = new ObjectMapper().readTree(out.resolve("quantize.json").toFile());
    boolean reported = false;
    for (JsonNode l : report.get("layers")) {
      reported |= l.get("name").asText().equals("lm_head") && l.get("format").asText().equals("dense-w8a16");
    }
    assertTrue(reported, "lm_head in the per-linear report: " + report.get("layers"));
  }

  @Test
  void aPrunedModelStaysSparse() throws IOException {
    Path pruned = dir.resolve("pruned");
    CliRun prune = CliRun.of("prune", "-m", MODEL, "--method", "magnitude", "--pattern", "2:4", "-o",
        pruned.toString());
    assertEquals(0, prune.exitCode(), prune.err());
    assertFalse(prune.err().contains("calibration:"), "magnitude reads no calibration text: " + prune.err());
    Path out = dir.resolve("q");
    CliRun run = CliRun.of("quantize", "-m", pruned.toString(), "--scheme", "w8a16", "--backend", "cpu", "-o",
        out.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("overall: 5"), run.out());
    LlamaModel q = ModelLoader.load(out);
    assertEquals(WeightFormat.DENSE_F32, q.weights().classifier().format(), "the classifier stays FP32 by default");
    for (LayerWeights layer : q.weights().layers()) {
      for (LinearWeight w : BlockLinears.of(layer)) {
        assertEquals(WeightFormat.SPARSE_24_I8, w.format(), "2:4 W8A16 loads as stored");
        float[] v = w.toDense().toFloatArray();
        for (int g = 0; g < v.length; g += 4) {
          int zeros = 0;
          for (int i = g; i < g + 4; i++) {
            zeros += v[i] == 0f ? 1 : 0;
          }
          assertTrue(zeros >= 2, "2:4 group at " + g + " keeps its zeros");
        }
      }
    }
  }

  @Test
  void helpExplainsSchemesSmoothingAndSelection() {
    CliRun q = CliRun.of("quantize", "--help");
    assertEquals(0, q.exitCode());
    assertTrue(q.out().contains("Usage: sparsej quantize") && q.out().contains("w8a16")
        && q.out().contains("SmoothQuant") && q.out().contains("auto:K"), q.out());
    CliRun c = CliRun.of("compress", "--help");
    assertEquals(0, c.exitCode());
    assertTrue(c.out().contains("QuantizationModifier") && c.out().contains("--recipe"), c.out());
    assertTrue(CliRun.of("--help").out().contains("compress"));
  }

  @Test
  void badInputIsOneLineAndWritesNothing() throws IOException {
    Path out = dir.resolve("out");
    String[][] usage = {
        {"--scheme", "w4a16"},
        {"--scheme", "w8a8", "--smoothquant", "1.5"},
        {"--scheme", "w8a8", "--smoothquant", "-0.5"},
        {"--scheme", "w8a8", "--ignore", "layers.9.wq"},
        {"--scheme", "w8a8", "--ignore", "q_projj"},
        {"--scheme", "w8a8", "--ignore", "auto:99"},
        {"--scheme", "w8a8", "--ignore", "auto:-1"},
        {"--scheme", "w8a8", "--samples", "0"},
        {"--scheme", "w8a8", "--ignore", "auto:2", "--rank-samples", "0"}};
    for (String[] c : usage) {
      CliRun run = quantize(out, c);
      assertEquals(2, run.exitCode(), String.join(" ", c) + ": " + run.err());
      run.errorLine();
      assertFalse(run.err().contains("\tat "), run.err());
    }
    CliRun noCalib = CliRun.of("quantize", "-m", MODEL, "--scheme", "w8a8", "--smoothquant", "0.5", "-o",
        out.toString());
    assertEquals(2, noCalib.exitCode(), noCalib.err());
    assertTrue(noCalib.errorLine().contains("--calib"), noCalib.err());

    Path tiny = dir.resolve("tiny.txt");
    Files.writeString(tiny, "Hello world.");
    CliRun tooShort = CliRun.of("quantize", "-m", MODEL, "--scheme", "w8a8", "--smoothquant", "0.5", "--calib",
        tiny.toString(), "--seqlen", "32", "-o", out.toString());
    assertEquals(1, tooShort.exitCode(), tooShort.err());
    assertTrue(tooShort.errorLine().contains("too few"), tooShort.err());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(tiny), left.toList(), "nothing written after a failed run");
    }
    Files.createDirectory(out);
    CliRun exists = quantize(out, "--scheme", "w8a8");
    assertEquals(1, exists.exitCode(), exists.err());
    assertTrue(exists.errorLine().contains("already exists"), exists.err());
    try (Stream<Path> left = Files.list(out)) {
      assertEquals(0, left.count());
    }
  }
}
