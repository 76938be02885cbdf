package org.sparsej.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The project's real test data lives in ../shared beside the checkout (see ../shared/SOURCES.md). */
public final class SharedData {
  public static final Path ROOT = Path.of("..", "shared");

  private SharedData() {}

  public static Path path(String relative) {
    Path p = ROOT.resolve(relative);
    assertTrue(Files.exists(p), "shared test data missing: " + p.toAbsolutePath()
        + " (the project expects ../shared beside its root)");
    return p;
  }

  public static Path sj7m() {
    return path("models/sj-7m/model.bin");
  }

  /**
   * A short calibration text in {@code dir} (the first 40,000 characters of the sj-7m training corpus): enough for
   * the few short samples the compression command tests draw, small enough to tokenize at once.
   */
  public static Path calibrationText(Path dir) throws IOException {
    String train = Files.readString(path("data/sj-corpus/train.txt"));
    Path calib = dir.resolve("calib.txt");
    Files.writeString(calib, train.substring(0, 40_000));
    return calib;
  }

  public static JsonNode json(String relative) {
    try {
      return new ObjectMapper().readTree(path(relative).toFile());
    } catch (IOException e) {
      throw new AssertionError("cannot read " + relative + ": " + e.getMessage(), e);
    }
  }

  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
