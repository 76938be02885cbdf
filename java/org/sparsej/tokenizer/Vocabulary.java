package org.sparsej.tokenizer;

import java.util.List;

/**
 * A tokenizer's vocabulary in GGUF's terms, whichever file it came from: the kind ("llama" = SentencePiece-style
 * BPE with byte fallback, tokens spelled with "▁" for spaces; "gpt2" = byte-level BPE with merges), tokens, scores,
 * token types (1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte), special ids (-1 if absent) and, for
 * byte-level BPE, the merges and the pre-tokenizer's name.
 */
public record Vocabulary(String model, List<String> tokens, float[] scores, int[] types, List<String> merges,
                         int bos, int eos, int unk, boolean addBos, String pre, String chatTemplate,
                         List<String> splits, boolean ignoreMerges, boolean nfc) {
  /** A vocabulary whose byte-level pre-tokenizer, if any, is the one llama.cpp names {@code pre}. */
  public Vocabulary(String model, List<String> tokens, float[] scores, int[] types, List<String> merges, int bos,
                    int eos, int unk, boolean addBos, String pre, String chatTemplate) {
    this(model, tokens, scores, types, merges, bos, eos, unk, addBos, pre, chatTemplate,
        model.equals("gpt2") ? ByteLevelBpeTokenizer.splitsForPre(pre) : List.of(), "llama-bpe".equals(pre), false);
  }

  public static final int NORMAL = 1;
  public static final int UNKNOWN = 2;
  public static final int CONTROL = 3;
  public static final int USER_DEFINED = 4;
  public static final int BYTE = 6;

  public int size() {
    return tokens.size();
  }

  /** The tokenizer this vocabulary describes. */
  public Tokenizer tokenizer() {
    if (model.equals("llama")) {
      return SpmVocabularies.tokenizer(this);
    }
    return ByteLevelBpeTokenizer.of(this);
  }
}
