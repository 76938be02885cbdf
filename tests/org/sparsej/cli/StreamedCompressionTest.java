package org.sparsej.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import org.sparsej.testing.SharedData;

/**
 * prune, quantize and compress stream block by block (each block spilled, then written) and must write the same
 * bytes as the in-memory run ({@code -Dsparsej.stream=false}) on sj-7m: magnitude, SparseGPT, W8A8 and a
 * two-stage recipe whose calibrating modifiers are pipelined through the blocks.
 */
class StreamedCompressionTest {
  private static final String MODEL = SharedData.sj7m().toString();
  @TempDir static Path shared;
  private static Path calib;

  @TempDir Path dir;

  @BeforeAll
  static void smallCalibrationText() throws IOException {
    calib = SharedData.calibrationText(shared);
  }

  /** Runs the command streamed and in memory; the weights and config must be byte for byte the same. */
  private void sameBytes(String name, String... args) throws IOException {
    Path streamed = dir.resolve(name + "-streamed");
    Path inMemory = dir.resolve(name + "-memory");
    CliRun a = run(streamed, args);
    assertEquals(0, a.exitCode(), a.err());
    String old = System.getProperty("sparsej.stream");
    System.setProperty("sparsej.stream", "false");
    CliRun b;
    try {
      b = run(inMemory, args);
    } finally {
      if (old == null) {
        System.clearProperty("sparsej.stream");
      } else {
        System.setProperty("sparsej.stream", old);
      }
    }
    assertEquals(0, b.exitCode(), b.err());
    for (String f : new String[] {"model.safetensors", "config.json", "tokenizer.json"}) {
      assertArrayEquals(Files.readAllBytes(inMemory.resolve(f)), Files.readAllBytes(streamed.resolve(f)),
          name + ": " + f + " differs between the streamed and the in-memory run");
    }
    assertEquals(summaryLines(b.out()), summaryLines(a.out()), name + ": per-linear reports");
    try (Stream<Path> left = Files.list(dir)) {
      assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".sparsej-spill")),
          "the spill file is deleted");
    }
  }

  private static CliRun run(Path out, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("-m", MODEL, "--backend", "cpu", "-o", out.toString()));
    return CliRun.of(all.toArray(new String[0]));
  }

  /** The per-linear summary lines without their timings. */
  private static List<String> summaryLines(String out) {
    return out.lines().filter(l -> l.startsWith("layers.")).map(l -> l.replaceAll("\\s+[0-9.]+s$", "")).toList();
  }

  @Test
  void magnitudeStreamsToTheSameBytes() throws IOException {
    sameBytes("magnitude", "prune", "--method", "magnitude", "--sparsity", "0.5", "--skip", "layers.1.w2");
  }

  @Test
  void sparseGptStreamsToTheSameBytes() throws IOException {
    sameBytes("sparsegpt", "prune", "--method", "sparsegpt", "--sparsity", "0.5", "--calib", calib.toString(),
        "--samples", "2", "--seqlen", "16");
  }

  @Test
  void w8a8StreamsToTheSameBytes() throws IOException {
    sameBytes("w8a8", "quantize", "--scheme", "w8a8", "--smoothquant", "0.5", "--calib", calib.toString(),
        "--samples", "2", "--seqlen", "16");
  }

  @Test
  void twoStageRecipeStreamsToTheSameBytes() throws IOException {
    Path recipe = shared.resolve("sparse-w8a8.yaml");
    Files.writeString(recipe, """
        sparsity_stage:
          sparsity_modifiers:
            SparseGPTModifier: {sparsity: 0.5, mask_structure: "2:4", ignore: [re:.*down_proj]}
        quantization_stage:
          quantization_modifiers:
            SmoothQuantModifier: {smoothing_strength: 0.5}
            QuantizationModifier: {scheme: W8A8, targets: [Linear], ignore: [lm_head]}
        """);
    sameBytes("recipe", "compress", "--recipe", recipe.toString(), "--calib", calib.toString(), "--samples", "2",
        "--seqlen", "16");
    String config = Files.readString(dir.resolve("recipe-streamed/config.json"));
    assertTrue(config.contains("\"format\" : \"dense\"") && config.contains("\"sparsity_structure\" : \"2:4\""),
        config);
  }
}
