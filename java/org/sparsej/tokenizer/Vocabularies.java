package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Vocabularies of the tokenizer files that carry no GGUF-style description of themselves. */
public final class Vocabularies {
  private Vocabularies() {}

  /**
   * llama2.c's tokenizer.bin as a SentencePiece-style vocabulary: pieces with "▁" for spaces, the file's scores,
   * types from the spelling (0 unknown, 1-2 control, {@code <0xNN>} byte). llama2.c stores BOS/EOS as "\n<s>\n".
   */
  public static Vocabulary llama2c(Path file, int vocabSize) {
    Llama2cTokenizerFile.Contents c = Llama2cTokenizerFile.read(file, vocabSize);
    List<String> tokens = new ArrayList<>(c.pieces().length);
    int[] types = new int[c.pieces().length];
    for (int i = 0; i < c.pieces().length; i++) {
      String p = new String(c.pieces()[i], UTF_8);
      if (i == 0) {
        tokens.add("<unk>");
        types[i] = Vocabulary.UNKNOWN;
      } else if (i <= 2) {
        tokens.add(i == 1 ? "<s>" : "</s>");
        types[i] = Vocabulary.CONTROL;
      } else {
        tokens.add(p.replace(' ', '\u2581'));
        types[i] = p.length() == 6 && p.startsWith("<0x") && p.endsWith(">") ? Vocabulary.BYTE : Vocabulary.NORMAL;
      }
    }
    return new Vocabulary("llama", tokens, c.scores().clone(), types, null, 1, 2, 0, true, null, null);
  }
}
