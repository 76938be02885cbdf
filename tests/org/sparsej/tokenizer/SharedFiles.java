package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** The project's shared data (models, reference outputs), checked out beside the project as ../shared. */
final class SharedFiles {
  private static final Path ROOT = Path.of("../shared");

  private SharedFiles() {}

  /** The shared file at {@code relative}; fails (never skips) when it is missing, so a bad checkout shows. */
  static Path require(String relative) {
    Path file = ROOT.resolve(relative);
    if (!Files.isRegularFile(file)) {
      fail("shared data missing: " + file.toAbsolutePath().normalize()
          + " (the tests expect the project's shared/ directory beside the project root)");
    }
    return file;
  }
}
