package org.sparsej.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufVocabulary;
import org.sparsej.format.gguf.GgufWriter;
import org.sparsej.tokenizer.ChatTemplate.Message;

/**
 * Byte-level BPE on a small hand-made Llama-3-style tokenizer.json (256 byte tokens in byte order, then merges we
 * can follow by hand, then special tokens), and the chat templates.
 */
class ByteLevelAndChatTest {
  private static final List<String> MERGES = List.of("\u0120 t", "h e", "\u0120t he", "\u0120 w", "o r", "\u0120w or",
      "l d", "\u0120wor ld", "1 2", "12 3");
  private static final String[] SPECIALS = {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
      "<|end_header_id|>", "<|eot_id|>"};
  private static Path dir;
  private static ByteLevelBpeTokenizer tok;

  @BeforeAll
  static void write(@TempDir Path tmp) throws Exception {
    dir = tmp;
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE").put("ignore_merges", true);
    ObjectNode vocab = model.putObject("vocab");
    List<String> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(byteChar(b));
    }
    for (String m : MERGES) {
      tokens.add(m.replace(" ", ""));
    }
    for (int i = 0; i < tokens.size(); i++) {
      vocab.put(tokens.get(i), i);
    }
    ArrayNode merges = model.putArray("merges");
    MERGES.forEach(merges::add);
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < SPECIALS.length; i++) {
      added.addObject().put("id", tokens.size() + i).put("content", SPECIALS[i]).put("special", true);
    }
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ObjectNode split = pre.putArray("pretokenizers").addObject();
    split.put("type", "Split").putObject("pattern").put("Regex", ByteLevelBpeTokenizer.LLAMA3_SPLIT);
    split.put("behavior", "Isolated").put("invert", false);
    ((ArrayNode) pre.get("pretokenizers")).addObject().put("type", "ByteLevel").put("use_regex", false);
    root.putObject("decoder").put("type", "ByteLevel");
    Files.write(tmp.resolve("tokenizer.json"), json.writeValueAsBytes(root));
    ObjectNode config = json.createObjectNode();
    config.put("bos_token", "<|begin_of_text|>").put("eos_token", "<|eot_id|>");
    config.put("chat_template", "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>' }}");
    Files.write(tmp.resolve("tokenizer_config.json"), json.writeValueAsBytes(config));
    tok = (ByteLevelBpeTokenizer) TokenizerJson.load(tmp.resolve("tokenizer.json"));
  }

  /** GPT-2's byte-to-character table, written out independently of the implementation. */
  private static String byteChar(int b) {
    boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    if (printable) {
      return String.valueOf((char) b);
    }
    int n = 0;
    for (int i = 0; i < b; i++) {
      if (!((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || (i >= 174 && i <= 255))) {
        n++;
      }
    }
    return String.valueOf((char) (256 + n));
  }

  private static int id(String token) {
    return tok.id(token);
  }

  @Test
  void mergesApplyByRank() {
    assertEquals(256 + MERGES.size() + SPECIALS.length, tok.vocabSize());
    // " the": Ġ t h e -> Ġt h e -> Ġt he -> Ġthe
    assertArrayEquals(new int[] {id("\u0120the")}, tok.encode(" the", false, false));
    // "the": t h e -> t he; "t he" is no merge
    assertArrayEquals(new int[] {'t', id("he")}, tok.encode("the", false, false));
    assertArrayEquals(new int[] {id("\u0120the"), id("\u0120world")}, tok.encode(" the world", false, false));
    // Llama 3 splits numbers in groups of up to three digits: "12345" -> "123" "45".
    assertArrayEquals(new int[] {id("123"), '4', '5'}, tok.encode("12345", false, false));
  }

  @Test
  void specialTokensInTextStayText() {
    int[] ids = tok.encode("<|begin_of_text|>hi", true, false);
    assertEquals(id("<|begin_of_text|>"), ids[0]);  // the BOS asked for
    assertFalse(Arrays.stream(ids).skip(1).anyMatch(i -> i >= 256 + MERGES.size()), Arrays.toString(ids));
    assertEquals("<|begin_of_text|>hi", tok.decode(Arrays.copyOfRange(ids, 1, ids.length)));
    assertEquals(id("<|begin_of_text|>"), tok.bos());
    assertEquals(id("<|eot_id|>"), tok.eos());
  }

  @Test
  void anyTextRoundTrips() {
    for (String s : new String[] {"na\u00efve caf\u00e9 \u2014 \u201cquotes\u201d", "\u65e5\u672c\u8a9e",
        "emoji \ud83e\udd17\ud83d\ude80", "tabs\tand\nnewlines\n\n", "  spaces  ", "it's 3.14159"}) {
      assertEquals(s, tok.decode(tok.encode(s, false, false)), s);
    }
  }

  @Test
  void byteLevelVocabularySurvivesGguf() throws Exception {
    Vocabulary v = TokenizerJson.vocabulary(dir.resolve("tokenizer.json"));
    assertEquals("llama-bpe", v.pre());
    Path p = dir.resolve("v.gguf");
    GgufWriter w = new GgufWriter();
    GgufVocabulary.write(w, v);
    w.write(p);
    try (GgufFile g = GgufFile.open(p)) {
      Tokenizer back = GgufVocabulary.read(g).tokenizer();
      for (String s : new String[] {" the world", "12345 the", "<|eot_id|>"}) {
        assertArrayEquals(tok.encode(s, true, false), back.encode(s, true, false), s);
      }
    }
  }

  @Test
  void llama3ChatTemplate() {
    List<Message> chat = List.of(new Message("system", "Be brief."), new Message("user", " Hi "));
    assertEquals(ChatTemplate.LLAMA3, ChatTemplate.detect("...<|start_header_id|>..."));
    assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
        ChatTemplate.LLAMA3.render(chat, true));
    int[] ids = ChatTemplate.LLAMA3.encode(tok, chat, true);
    assertEquals(id("<|begin_of_text|>"), ids[0]);
    assertEquals(id("<|start_header_id|>"), ids[1]);
    assertEquals(id("<|end_header_id|>"), ids[ids.length - 3]);
    assertEquals(ChatTemplate.LLAMA3.render(chat, true), renderIds(ids));
  }

  private static String renderIds(int[] ids) {
    StringBuilder s = new StringBuilder();
    for (int i : ids) {
      s.append(i >= 256 + MERGES.size() ? SPECIALS[i - 256 - MERGES.size()] : tok.decode(new int[] {i}));
    }
    return s.toString();
  }

  @Test
  void spmFamilyTemplates() {
    Tokenizer sj = SharedFiles.sj7m();
    List<Message> chat = List.of(new Message("system", "Be brief."), new Message("user", "Hi"),
        new Message("assistant", "Hello."), new Message("user", "Bye"));
    assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]",
        ChatTemplate.LLAMA2.render(chat, true));
    int[] ids = ChatTemplate.LLAMA2.encode(sj, chat, true);
    assertEquals(1, ids[0]);
    assertEquals(2, Arrays.stream(ids).filter(i -> i == 1).count());
    assertEquals(1, Arrays.stream(ids).filter(i -> i == 2).count());
    assertEquals("<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n<|user|>\nBye</s>\n"
        + "<|assistant|>\n", ChatTemplate.ZEPHYR.render(chat, true));
    assertEquals(4, Arrays.stream(ChatTemplate.ZEPHYR.encode(sj, chat, true)).filter(i -> i == 2).count());
    assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        ChatTemplate.CHATML.render(List.of(new Message("user", "Hi")), true));
    assertEquals(ChatTemplate.CHATML, ChatTemplate.detect("{% for m in messages %}<|im_start|>"));
    assertEquals(ChatTemplate.ZEPHYR, ChatTemplate.byName("zephyr"));
  }
}
