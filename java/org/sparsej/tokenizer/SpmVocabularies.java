package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import org.sparsej.util.SparsejException;

/** SentencePiece-style vocabularies ("▁" for spaces) to and from the space-spelled pieces llama2.c uses. */
final class SpmVocabularies {
  private SpmVocabularies() {}

  static Tokenizer tokenizer(Vocabulary v) {
    if (v.size() <= 2 || v.bos() != 1 || v.eos() != 2) {
      throw new SparsejException("SentencePiece vocabulary must have <s> = 1 and </s> = 2 (has bos " + v.bos()
          + ", eos " + v.eos() + ")");
    }
    byte[][] pieces = new byte[v.size()][];
    float[] scores = v.scores() != null ? v.scores() : new float[v.size()];
    for (int i = 0; i < pieces.length; i++) {
      String t = v.tokens().get(i);
      boolean plain = v.types() == null || v.types()[i] == Vocabulary.NORMAL || v.types()[i] == Vocabulary.BYTE
          || v.types()[i] == Vocabulary.USER_DEFINED;
      // Control and unknown tokens are kept out of merging by SentencePieceBpeTokenizer (ids 0-2); any others
      // are given a spelling no text can produce.
      pieces[i] = (plain || i <= 2 ? t.replace('\u2581', ' ') : "\u0000" + t).getBytes(UTF_8);
    }
    return new SentencePieceBpeTokenizer(pieces, scores);
  }
}
