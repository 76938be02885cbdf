package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Byte-level BPE against the {@code tokenizers} library: four vocabularies trained with it (GPT-2's ByteLevel
 * regex; Llama 3's Split regex with ignore_merges; Qwen2's Split regex behind NFC; SmolLM's Digits + ByteLevel) and
 * the ids it gives for 600 varied strings, made once by tests/resources/tokenizer/byte-level/gen_byte_level.py.
 */
class ByteLevelReferenceTest {
  static final Path DIR = Path.of("tests/resources/tokenizer/byte-level");

  @ParameterizedTest
  @ValueSource(strings = {"gpt2", "llama3", "qwen2-nfc", "smollm"})
  void idsMatchTokenizers(String name) throws IOException {
    JsonNode ref = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    Tokenizer tok = TokenizerJson.load(DIR.resolve(name).resolve("tokenizer.json"));
    JsonNode strings = ref.get("strings");
    JsonNode expected = ref.get(name);
    assertTrue(strings.size() >= 500, "reference strings");
    List<String> wrong = new ArrayList<>();
    int tokens = 0;
    for (int i = 0; i < strings.size(); i++) {
      String s = strings.get(i).asText();
      int[] want = new int[expected.get(i).size()];
      for (int j = 0; j < want.length; j++) {
        want[j] = expected.get(i).get(j).asInt();
      }
      tokens += want.length;
      int[] got = tok.encode(s, false, false);
      if (!Arrays.equals(want, got)) {
        wrong.add(i + " " + escape(s) + ": want " + Arrays.toString(want) + " got " + Arrays.toString(got));
      }
      String text = name.contains("nfc") ? Normalizer.normalize(s, Normalizer.Form.NFC) : s;
      assertEquals(text, tok.decode(got), "decode of string " + i);
    }
    assertTrue(tokens > 3000, "the strings cover many tokens");
    if (!wrong.isEmpty()) {
      fail(wrong.size() + " of " + strings.size() + " strings differ, first: " + String.join("\n", wrong.subList(0,
          Math.min(8, wrong.size()))));
    }
  }

  private static String escape(String s) {
    StringBuilder b = new StringBuilder("\"");
    s.codePoints().forEach(cp -> b.append(cp >= 0x20 && cp < 0x7f ? Character.toString(cp)
        : String.format("\\u{%x}", cp)));
    return b.append('"').toString();
  }
}
