package org.sparsej.tokenizer;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.sparsej.testing.SharedData;

/** Shared tokenizers, loaded once for all tokenizer tests. */
final class SharedFiles {
  private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

  private SharedFiles() {}

  /** The shared file at {@code relative}; fails (never skips) when it is missing, so a bad checkout shows. */
  static Path require(String relative) {
    return SharedData.path(relative);
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
