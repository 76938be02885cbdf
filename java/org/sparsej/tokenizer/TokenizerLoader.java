package org.sparsej.tokenizer;

import java.nio.file.Path;

/** Opens a tokenizer file for a model with the given vocabulary size. */
public final class TokenizerLoader {
  private TokenizerLoader() {}

  public static Tokenizer load(Path file, int vocabSize) {
    return SentencePieceBpeTokenizer.load(file, vocabSize);
  }
}
