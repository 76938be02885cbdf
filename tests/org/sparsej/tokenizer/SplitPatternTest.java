package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.util.SparsejException;

/** The pre-tokenizer scanners on hand-worked cases, hostile lengths, and regexes they refuse. */
class SplitPatternTest {
  private static List<String> split(SplitPattern p, String s) {
    List<String> out = new ArrayList<>();
    p.split(s, out);
    return out;
  }

  @Test
  void unicodeWhitespaceJoinsTheRun() {
    // \s is Unicode White_Space: the two spaces and U+3000 are one run, whose last character goes with "y".
    assertEquals(List.of("x", "  ", "\u3000y"), split(SplitPattern.LLAMA3, "x  \u3000y"));
    assertEquals(List.of("x", "  ", "\u3000", "y"), split(SplitPattern.GPT2, "x  \u3000y"));  // " ?" is ASCII only
    assertEquals(List.of("a", "\u00a0\u2003", " b"), split(SplitPattern.GPT2, "a\u00a0\u2003 b"));
  }

  @Test
  void numbersAndContractions() {
    assertEquals(List.of("123", "456", "7"), split(SplitPattern.LLAMA3, "1234567"));
    assertEquals(List.of("1", "2", "3"), split(SplitPattern.QWEN2, "123"));
    assertEquals(List.of("I", "'M", " ok"), split(SplitPattern.LLAMA3, "I'M ok"));
    assertEquals(List.of("I", "'", "M", " ok"), split(SplitPattern.GPT2, "I'M ok"));
    assertEquals(List.of("a", "1", "b", "2"), split(SplitPattern.DIGITS, "a1b2"));
    assertEquals(List.of("\n\n", " x"), split(SplitPattern.LLAMA3, "\n\n x"));
    assertEquals(List.of("😀", "abc"), split(SplitPattern.GPT2, "😀abc"));
    assertEquals(List.of("😀abc"), split(SplitPattern.LLAMA3, "😀abc"));
  }

  @Test
  void longHostileTextSplitsInOnePass() {
    // A backtracking engine is quadratic on \s+(?!\S) over long whitespace; the scanners are linear.
    String spaces = " ".repeat(2_000_000) + "x";
    for (SplitPattern p : SplitPattern.values()) {
      List<String> pieces = split(p, spaces);
      assertEquals(spaces, String.join("", pieces), p.name());
    }
    assertEquals(List.of(" ".repeat(1_999_999), " x"), split(SplitPattern.GPT2, spaces));
    String mixed = "\u3000 \n".repeat(300_000) + "'s".repeat(300_000);
    assertEquals(mixed, String.join("", split(SplitPattern.LLAMA3, mixed)));
  }

  @Test
  void unknownRegexIsRefusedWithOneLine(@TempDir Path dir) throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    ObjectNode model = root.putObject("model").put("type", "BPE");
    model.putObject("vocab").put("a", 0).put("b", 1);
    model.putArray("merges");
    ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
    ObjectNode split = pre.putArray("pretokenizers").addObject().put("type", "Split");
    split.putObject("pattern").put("Regex", "(a+)+$|(\\s*)*x");
    split.put("behavior", "Isolated").put("invert", false);
    ((com.fasterxml.jackson.databind.node.ArrayNode) pre.get("pretokenizers")).addObject().put("type", "ByteLevel")
        .put("use_regex", false);
    Path file = dir.resolve("tokenizer.json");
    Files.write(file, json.writeValueAsBytes(root));
    SparsejException e = assertThrows(SparsejException.class, () -> TokenizerJson.load(file));
    assertTrue(e.getMessage().contains("pre-tokenizer regex '(a+)+$"), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
