package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.sparsej.testing.SharedData;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.WeightFormat;

/** sparsej finetune end to end on sj-7m pruned by magnitude (a few short steps), and its bad inputs. */
class FinetuneCommandTest {
  static final String DENSE = SharedData.sj7m().toString();
  @TempDir static Path shared;
  static Path text;
  static Path student;  // sj-7m, 50% magnitude-pruned, as a Hugging Face sparse-bitmask directory

  @TempDir Path dir;

  @BeforeAll
  static void prunedStudent() throws IOException {
    prepare(shared);
  }

  /** The training text and the pruned student, made in {@code where}. */
  static void prepare(Path where) throws IOException {
    text = SharedData.calibrationText(where);
    student = where.resolve("student");
    CliRun r = CliRun.of("prune", "-m", DENSE, "--method", "magnitude", "--sparsity", "0.5", "-o", student.toString());
    assertEquals(0, r.exitCode(), r.err());
  }

  static List<String> finetune(Path model, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("finetune", "-m", model.toString(), "--data", text.toString(),
        "--batch", "2", "--seqlen", "16", "--heldout", "300", "--eval-every", "2", "-t", "2", "-o", out.toString()));
    args.addAll(List.of(extra));
    return args;
  }

  static CliRun run(List<String> args) {
    return CliRun.of(args.toArray(new String[0]));
  }

  private static List<LinearWeight> linears(LayerWeights l) {
    return List.of(l.wq(), l.wk(), l.wv(), l.wo(), l.w1(), l.w2(), l.w3());
  }

  @Test
  void distillationTrainsTheKeptWeightsAndKeepsFormatAndMask() throws IOException {
    Path out = dir.resolve("tuned");
    CliRun r = run(finetune(student, out, "--teacher", DENSE, "--loss", "kd+squarehead", "--steps", "4"));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("step 4: held-out ppl") && r.err().contains("tok/s"), r.err());
    assertTrue(r.out().contains("finetune: 4 steps") && r.out().contains("peak RSS"), r.out());
    for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "finetune.json",
        "finetune.csv"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    List<String> csv = Files.readAllLines(out.resolve("finetune.csv"));
    assertEquals(1 + 5, csv.size(), "header, step 0 and 4 steps: " + csv);
    assertTrue(Files.exists(dir.resolve("tuned.checkpoint").resolve("parameters.bin")));

    LlamaModel before = ModelLoader.load(student);
    LlamaModel after = ModelLoader.load(out);
    boolean changed = false;
    for (int l = 0; l < before.config().nLayers(); l++) {
      List<LinearWeight> a = linears(before.weights().layers().get(l));
      List<LinearWeight> b = linears(after.weights().layers().get(l));
      for (int i = 0; i < a.size(); i++) {
        assertEquals(WeightFormat.SPARSE_BITMASK_F32, b.get(i).format(), "stays sparse-bitmask");
        float[] x = a.get(i).toDense().toFloatArray();
        float[] y = b.get(i).toDense().toFloatArray();
        for (int k = 0; k < x.length; k++) {
          assertEquals(x[k] == 0f, y[k] == 0f, "layer " + l + " linear " + i + " entry " + k + ": mask moved");
          changed |= x[k] != y[k];
        }
      }
    }
    assertTrue(changed, "training changed the kept weights");
  }

  @Test
  void aDenseLlama2cStudentWarnsAndIsWrittenAsLlama2c() {
    Path out = dir.resolve("dense");
    CliRun r = run(finetune(Path.of(DENSE), out, "--steps", "2", "--loss", "ce"));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.err().contains("warning: " + DENSE + " has no sparse layers: it trains dense"), r.err());
    assertTrue(Files.exists(out.resolve("model.bin")) && Files.exists(out.resolve("tokenizer.bin")));
    assertNotEquals(-1L, mismatch(Path.of(DENSE), out.resolve("model.bin")), "trained");
    CliRun gen = CliRun.of("generate", "-m", out.resolve("model.bin").toString(), "-p", "Once", "-n", "4",
        "--temp", "0");
    assertEquals(0, gen.exitCode(), gen.err());
  }

  private static long mismatch(Path a, Path b) {
    try {
      return Files.mismatch(a, b);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aLossThatBecomesNanStopsAndKeepsTheLastCheckpoint() throws IOException {
    Path out = dir.resolve("nan");
    CliRun r = run(finetune(student, out, "--steps", "20", "--loss", "ce", "--lr", "1e30", "--warmup", "0",
        "--checkpoint-every", "1"));
    r.assertFails(1, "the loss became", "at step 2", "last good checkpoint is", "(step 1)", "lower --lr");
    assertFalse(Files.exists(out), "nothing written");
    assertTrue(Files.readString(dir.resolve("nan.checkpoint").resolve("state.json")).contains("\"step\" : 1"));
    assertEquals(List.of(), debris(dir));
  }

  @Test
  void badInputsAreOneClearLine() throws IOException {
    Path other = dir.resolve("other.bin");
    assertEquals(0, CliRun.of("synth", "--shape", "dim=288,hidden=768,layers=6,heads=6,kv_heads=2,vocab=500,"
        + "seq=256", "-o", other.toString()).exitCode());
    run(finetune(student, dir.resolve("a"), "--teacher", other.toString(), "--steps", "1"))
        .assertFails(1, "teacher vocabulary of 500 tokens differs");
    Path small = dir.resolve("small.txt");
    Files.writeString(small, "Once upon a time there was a cat.");
    CliRun r = CliRun.of("finetune", "-m", student.toString(), "--data", small.toString(), "-o",
        dir.resolve("b").toString());
    r.assertFails(1, "small.txt", "too little data for one batch");
    run(finetune(student, dir.resolve("c"), "--loss", "kd")).assertFails(2, "--teacher");
    run(finetune(student, dir.resolve("c"), "--loss", "mse")).assertFails(2, "unknown loss 'mse'");
    CliRun.of("finetune", "-m", student.toString(), "--data", text.toString(), "--seqlen", "999", "-o",
        dir.resolve("c").toString()).assertFails(2, "--seqlen", "context");
    run(finetune(student, dir.resolve("c"), "--lr", "-1")).assertFails(2, "--lr");
    Files.createDirectory(dir.resolve("exists"));
    run(finetune(student, dir.resolve("exists"))).assertFails(1, "already exists");
    Files.createDirectory(dir.resolve("d.checkpoint"));
    run(finetune(student, dir.resolve("d"))).assertFails(1, "d.checkpoint", "--resume");
    for (String name : new String[] {"a", "b", "c", "d"}) {
      assertFalse(Files.exists(dir.resolve(name)), name);
    }
    assertEquals(List.of(), debris(dir));
  }

  @Test
  void theTimeLimitStopsCleanlyAndSaves() throws IOException {
    Path out = dir.resolve("timed");
    CliRun r = run(finetune(student, out, "--time-limit", "0.05", "--loss", "ce"));  // 3 s
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("(time limit)"), r.out());
    assertTrue(Files.readString(out.resolve("finetune.json")).contains("\"timed_out\" : true"));
  }

  static List<String> debris(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.contains(".sparsej-")).toList();
    }
  }
}
