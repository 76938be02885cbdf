package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The project's shared data (models, reference outputs), checked out beside the project as ../shared. */
final class SharedFiles {
  private static final Path ROOT = Path.of("../shared");
  private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

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

  /** sj-7m's 4096-token vocabulary, loaded once for all tests. */
  static Tokenizer sj7m() {
    return tokenizer("models/sj-7m/tokenizer.bin", 4096);
  }

  /** Llama 2's 32000-token vocabulary, loaded once for all tests. */
  static Tokenizer llama2() {
    return tokenizer("models/llama2-tokenizer/tokenizer.bin", 32000);
  }

  private static Tokenizer tokenizer(String relative, int vocabSize) {
    return TOKENIZERS.computeIfAbsent(relative, r -> SentencePieceBpeTokenizer.load(require(r), vocabSize));
  }
}
