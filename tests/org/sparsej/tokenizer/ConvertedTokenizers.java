package org.sparsej.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sparsej.format.ModelTokenizers;

/**
 * The tokenizers {@link ConvertedTokenizerTest} converts: SentencePiece-style from a llama2.c tokenizer.bin and
 * from a Hugging Face tokenizer.json, byte-level BPE with and without BOS. Its main writes them as
 * {@code convert --to hf} does, for tests/resources/tokenizer/converted/gen_converted.py to read with transformers.
 */
public final class ConvertedTokenizers {
  private ConvertedTokenizers() {}

  static Map<String, Vocabulary> sources() {
    Map<String, Vocabulary> out = new LinkedHashMap<>();
    out.put("sj7m-bin", ModelTokenizers.vocabularyFromFile(Path.of("../shared/models/sj-7m/tokenizer.bin"), 4096));
    out.put("sj7m-hf", TokenizerJson.vocabulary(Path.of("../shared/models/sj-7m/hf/tokenizer.json")));
    out.put("llama3", TokenizerJson.vocabulary(ByteLevelReferenceTest.DIR.resolve("llama3/tokenizer.json")));
    out.put("gpt2", TokenizerJson.vocabulary(ByteLevelReferenceTest.DIR.resolve("gpt2/tokenizer.json")));
    return out;
  }

  /** Writes each source converted into {@code args[0]}/NAME/ (tokenizer.json + tokenizer_config.json). */
  public static void main(String[] args) throws IOException {
    for (Map.Entry<String, Vocabulary> e : sources().entrySet()) {
      Path dir = Path.of(args[0]).resolve(e.getKey());
      Files.createDirectories(dir);
      TokenizerJsonWriter.write(e.getValue(), dir);
    }
  }
}
