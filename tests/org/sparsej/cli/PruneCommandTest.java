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
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;

/** sparsej prune end to end on sj-7m with a few short calibration samples, and its bad inputs. */
class PruneCommandTest {
  private static final String MODEL = SharedData.sj7m().toString();
  @TempDir static Path shared;
  private static Path calib;

  @TempDir Path dir;

  @BeforeAll
  static void smallCalibrationText() throws IOException {
    calib = SharedData.calibrationText(shared);
  }

  private CliRun prune(Path out, String... extra) {
    List<String> args = new java.util.ArrayList<>(List.of("prune", "-m", MODEL, "--calib", calib.toString(),
        "--samples", "4", "--seqlen", "32", "--backend", "cpu", "-o", out.toString()));
    args.addAll(List.of(extra));
    return CliRun.of(args.toArray(new String[0]));
  }

  private static List<LinearWeight> linears(LayerWeights l) {
    return List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3());
  }

  @Test
  void defaultDenseStoredOutputLoadsAsTheCompactOneDoes() throws IOException {
    // prune -> save (default: dense-stored, zeros in place) -> load: the same formats, values and logits as the
    // compact sparse-bitmask layout, which holds exactly what pruning produced.
    Path dense = dir.resolve("dense");
    Path compact = dir.resolve("compact");
    assertEquals(0, prune(dense, "--method", "magnitude", "--sparsity", "0.6").exitCode());
    assertEquals(0, prune(compact, "--method", "magnitude", "--sparsity", "0.6", "--format", "sparse-bitmask")
        .exitCode());
    assertTrue(Files.readString(compact.resolve("config.json")).contains("\"sparse-bitmask\""));
    assertFalse(org.sparsej.format.ModelFiles.hfTensors(dense).keySet().stream().anyMatch(n -> n.endsWith(".bitmask")));
    LlamaModel a = ModelLoader.load(compact);
    LlamaModel b = ModelLoader.load(dense);
    for (int l = 0; l < a.config().nLayers(); l++) {
      List<LinearWeight> x = linears(a.weights().layers().get(l));
      List<LinearWeight> y = linears(b.weights().layers().get(l));
      for (int i = 0; i < 7; i++) {
        assertEquals(org.sparsej.weights.WeightFormat.SPARSE_BITMASK_F32, y.get(i).format());
        assertEquals(x.get(i).stored().values().bytes(), y.get(i).stored().values().bytes());
        assertEquals(x.get(i).stored().bitmask().bytes(), y.get(i).stored().bitmask().bytes());
      }
    }
    try (org.sparsej.backend.Backend cpu = org.sparsej.backend.Backends.open("cpu", 2, line -> { })) {
      int[] tokens = {1, 403, 1191, 57};
      assertArrayEquals(a.newSession(cpu, 4).forward(tokens, 4, true).toFloatArray(),
          b.newSession(cpu, 4).forward(tokens, 4, true).toFloatArray());
    }
    CliRun bad = prune(dir.resolve("bad"), "--method", "magnitude", "--format", "bitmask");
    assertEquals(2, bad.exitCode());
    assertTrue(bad.err().startsWith("error: --format must be hf, sparse-bitmask or llama2c"), bad.err());
  }

  @Test
  void prunedDirectoryLoadsWithGenerateAndEval() throws IOException {
    Path out = dir.resolve("pruned");
    CliRun run = prune(out, "--method", "sparsegpt", "--pattern", "2:4");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.err().contains("stage prune 100% done"), run.err());
    assertTrue(run.out().contains("layers.5.w2") && run.out().contains("overall: 50.00%"), run.out());
    for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "prune.json"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    String config = Files.readString(out.resolve("config.json"));
    assertTrue(config.contains("\"format\" : \"dense\"") && config.contains("\"sparsity_structure\" : \"2:4\""),
        "dense-stored, 2:4: " + config);
    assertTrue(Files.readString(out.resolve("prune.json")).contains("\"mask_structure\" : \"2:4\""));

    LlamaModel original = ModelLoader.load(Path.of(MODEL));
    LlamaModel pruned = ModelLoader.load(out);
    assertArrayEquals(original.weights().tokenEmbedding().toFloatArray(),
        pruned.weights().tokenEmbedding().toFloatArray(), "embeddings stay dense and unchanged");
    for (LayerWeights layer : pruned.weights().layers()) {
      for (LinearWeight w : linears(layer)) {
        assertEquals(org.sparsej.weights.WeightFormat.SPARSE_24_F32, w.format(), "loads as 2:4");
        float[] v = w.toDense().toFloatArray();
        for (int g = 0; g < v.length; g += 4) {
          int zeros = 0;
          for (int i = g; i < g + 4; i++) {
            zeros += v[i] == 0f ? 1 : 0;
          }
          assertEquals(2, zeros, "2:4 group at " + g);
        }
      }
    }

    CliRun generate = CliRun.of("generate", "-m", out.toString(), "-p", "Once upon a time",
        "-n", "8", "--temp", "0", "--backend", "cpu");
    assertEquals(0, generate.exitCode(), generate.err());
    assertTrue(generate.out().startsWith("Once upon a time") && generate.out().length() > 20, generate.out());
    double[] ppl = EvalPplTest.pplAndTokens(CliRun.of("eval", "ppl", "-m", out.toString(),
        "--text", SharedData.path("data/sj-corpus/eval-shakespeare.txt").toString(), "--max-tokens", "200",
        "--backend", "cpu"));
    assertTrue(Double.isFinite(ppl[0]) && ppl[0] > 1, "ppl " + ppl[0]);

    CliRun again = CliRun.of("prune", "-m", out.toString(), "--calib", calib.toString(),
        "--method", "wanda", "--seqlen", "32", "-o", dir.resolve("again").toString());
    assertEquals(1, again.exitCode(), again.err());
    assertTrue(again.errorLine().contains("already sparse"), again.err());
    CliRun exists = prune(out, "--method", "wanda");
    assertEquals(1, exists.exitCode(), exists.err());
    assertTrue(exists.errorLine().contains("already exists"), exists.err());
  }

  @Test
  void helpExplainsTheMethodsAndTheOutput() {
    CliRun prune = CliRun.of("prune", "--help");
    assertEquals(0, prune.exitCode());
    assertTrue(prune.out().contains("Usage: sparsej prune") && prune.out().contains("SparseGPT")
        && prune.out().contains("Wanda") && prune.out().contains("--calib"), prune.out());
    CliRun eval = CliRun.of("eval", "ppl", "--help");
    assertEquals(0, eval.exitCode());
    assertTrue(eval.out().contains("Usage: sparsej eval ppl") && eval.out().contains("--stride"), eval.out());
  }

  @Test
  void skippedLinearsStayDense() {
    Path out = dir.resolve("skip");
    CliRun run = prune(out, "--method", "magnitude", "--sparsity", "0.6", "--skip", "w2,layers.0,lm_head",
        "--format", "llama2c");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(Files.exists(out.resolve("tokenizer.bin")) && Files.exists(out.resolve("prune.json")));
    assertTrue(run.out().contains("n/a"), "magnitude reads no inputs: " + run.out());
    LlamaModel pruned = ModelLoader.load(out.resolve("model.bin"));
    for (int l = 0; l < pruned.config().nLayers(); l++) {
      LayerWeights layer = pruned.weights().layers().get(l);
      for (LinearWeight w : linears(layer)) {
        float[] v = w.toDense().toFloatArray();
        long zeros = 0;
        for (float f : v) {
          zeros += f == 0f ? 1 : 0;
        }
        boolean skipped = l == 0 || w == layer.w2();
        assertEquals(skipped ? 0 : (long) Math.floor(0.6 * v.length + 1e-9), zeros, "block " + l);
      }
    }
  }

  @Test
  void badValuesAreUsageErrorsAndWriteNothing() throws IOException {
    Path out = dir.resolve("out");
    String[][] cases = {
        {"--method", "sparsegpt", "--sparsity", "1"},
        {"--method", "sparsegpt", "--sparsity", "-0.1"},
        {"--method", "sparsegpt", "--pattern", "2-4"},
        {"--method", "sparsegpt", "--pattern", "4:2"},
        {"--method", "obs"},
        {"--method", "wanda", "--skip", "layers.9.wq"},
        {"--method", "wanda", "--samples", "0"},
        {"--method", "wanda", "--format", "onnx"}};
    for (String[] c : cases) {
      CliRun run = prune(out, c);
      assertEquals(2, run.exitCode(), String.join(" ", c) + ": " + run.err());
      assertFalse(run.err().contains("\tat "), run.err());
    }
    CliRun width = prune(out, "--method", "wanda", "--pattern", "5:7");
    assertEquals(1, width.exitCode(), width.err());
    assertTrue(width.errorLine().contains("does not divide the width 288"), width.err());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of(), left.toList(), "nothing written after a failed run");
    }
  }

  @Test
  void calibrationTextShorterThanAsked() throws IOException {
    Path tiny = dir.resolve("tiny.txt");
    Files.writeString(tiny, "Hello world.");
    CliRun tooShort = CliRun.of("prune", "-m", MODEL, "--calib", tiny.toString(), "--method", "wanda",
        "--seqlen", "32", "-o", dir.resolve("a").toString());
    assertEquals(1, tooShort.exitCode(), tooShort.err());
    assertTrue(tooShort.errorLine().contains("too few"), tooShort.err());
    assertFalse(Files.exists(dir.resolve("a")));

    Path small = dir.resolve("small.txt");
    Files.writeString(small, Files.readString(calib).substring(0, 2_000));
    CliRun partial = CliRun.of("prune", "-m", MODEL, "--calib", small.toString(), "--method", "wanda",
        "--samples", "128", "--seqlen", "32", "--backend", "cpu", "-o", dir.resolve("b").toString());
    assertEquals(0, partial.exitCode(), partial.err());
    assertTrue(partial.err().contains("warning: calibration text has only"), partial.err());
    assertTrue(Files.exists(dir.resolve("b").resolve("model.safetensors")));
  }
}
