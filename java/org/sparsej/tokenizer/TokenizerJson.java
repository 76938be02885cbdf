package org.sparsej.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.sparsej.util.JsonFiles;
import org.sparsej.util.SparsejException;

/**
 * Reads a Hugging Face tokenizer.json of a BPE model: SentencePiece-style (byte_fallback, "▁" for spaces: Llama 2,
 * TinyLlama, Mistral) or byte-level (ByteLevel pre-tokenizer: Llama 3, SmolLM, GPT-2). Special tokens and the chat
 * template come from tokenizer_config.json beside it when present. Anything else is refused with one line.
 */
public final class TokenizerJson {
  private static final ObjectMapper JSON = JsonFiles.MAPPER;

  private TokenizerJson() {}

  public static Tokenizer load(Path file) {
    Vocabulary v = vocabulary(file);
    try {
      return v.tokenizer();
    } catch (SparsejException e) {
      throw new SparsejException(file + ": " + e.getMessage());
    }
  }

  /** The vocabulary of a tokenizer.json (and its tokenizer_config.json), in GGUF's terms. */
  public static Vocabulary vocabulary(Path file) {
    JsonNode root = JsonFiles.readObject(file, JsonFiles.MAX_TOKENIZER_FILE);
    Path configFile = file.toAbsolutePath().getParent().resolve("tokenizer_config.json");
    JsonNode config =
        Files.isRegularFile(configFile) ? JsonFiles.readObject(configFile) : JSON.createObjectNode();
    try {
      return parse(root, config);
    } catch (SparsejException e) {
      throw new SparsejException(file + ": " + e.getMessage());
    }
  }

  private static Vocabulary parse(JsonNode root, JsonNode config) {
    JsonNode model = root.path("model");
    if (!model.isObject()) {
      throw new SparsejException("no \"model\" object");
    }
    String type = model.path("type").asText("BPE");
    if (!type.equals("BPE")) {
      throw new SparsejException("tokenizer model '" + type + "' is not supported (BPE is)");
    }
    JsonNode vocab = model.path("vocab");
    if (!vocab.isObject() || vocab.size() == 0) {
      throw new SparsejException("model.vocab is missing or empty");
    }
    Map<Integer, String> byId = new HashMap<>();
    int size = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      size = Math.max(size, putId(byId, e.getKey(), e.getValue()) + 1);
    }
    Map<String, Integer> specials = new HashMap<>();
    for (JsonNode t : root.path("added_tokens")) {
      String content = t.path("content").asText(null);
      if (content == null) {
        throw new SparsejException("added token without content");
      }
      int id = putId(byId, content, t.path("id"));
      size = Math.max(size, id + 1);
      if (t.path("special").asBoolean(false)) {
        specials.put(content, id);
      }
    }
    if (byId.size() != size) {
      throw new SparsejException("token ids are not contiguous (" + byId.size() + " tokens, largest id "
          + (size - 1) + ")");
    }
    List<String> tokens = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      tokens.add(byId.get(i));
    }
    List<String> merges = merges(model.path("merges"));
    String chatTemplate = config.path("chat_template").isTextual() ? config.get("chat_template").asText() : null;
    if (isSentencePiece(root, model)) {
      return sentencePiece(tokens, merges, specials, chatTemplate);
    }
    if (!mentions(root.path("pre_tokenizer"), "ByteLevel") && !mentions(root.path("decoder"), "ByteLevel")) {
      throw new SparsejException("neither SentencePiece-style (byte_fallback / Metaspace) nor byte-level BPE");
    }
    List<String> splits = splits(root.path("pre_tokenizer"));
    String pre = ByteLevelBpeTokenizer.preForSplits(splits);
    int[] types = new int[size];
    Arrays.fill(types, Vocabulary.NORMAL);
    specials.values().forEach(id -> types[id] = Vocabulary.CONTROL);
    int bos = specialId(config, "bos_token", specials, templateBos(root));
    int eos = specialId(config, "eos_token", specials, -1);
    JsonNode normalizer = root.path("normalizer");
    if (!normalizer.isMissingNode() && !normalizer.isNull() && !normalizer.path("type").asText().equals("NFC")) {
      throw new SparsejException("normalizer " + normalizer.path("type").asText() + " is not supported for "
          + "byte-level BPE (none or NFC)");
    }
    return new Vocabulary("gpt2", tokens, null, types, merges, bos, eos, -1, bos >= 0, pre == null ? "custom" : pre,
        chatTemplate, splits, model.path("ignore_merges").asBoolean(false),
        normalizer.path("type").asText("").equals("NFC"));
  }

  private static int putId(Map<Integer, String> byId, String token, JsonNode idNode) {
    if (!idNode.canConvertToInt() || idNode.asInt() < 0 || idNode.asInt() > 10_000_000) {
      throw new SparsejException("token '" + token + "' has id " + idNode);
    }
    int id = idNode.asInt();
    String old = byId.put(id, token);
    if (old != null && !old.equals(token)) {
      throw new SparsejException("id " + id + " is given to both '" + old + "' and '" + token + "'");
    }
    return id;
  }

  private static List<String> merges(JsonNode node) {
    List<String> out = new ArrayList<>();
    for (JsonNode m : node) {
      if (m.isTextual()) {
        out.add(m.asText());
      } else if (m.isArray() && m.size() == 2) {
        out.add(m.get(0).asText() + " " + m.get(1).asText());
      } else {
        throw new SparsejException("merge " + m + " is neither \"a b\" nor [\"a\", \"b\"]");
      }
    }
    return out;
  }

  private static boolean isSentencePiece(JsonNode root, JsonNode model) {
    return model.path("byte_fallback").asBoolean(false) || mentions(root.path("pre_tokenizer"), "Metaspace")
        || mentions(root.path("normalizer"), "Prepend");
  }

  private static boolean mentions(JsonNode node, String type) {
    if (node.isObject() && type.equals(node.path("type").asText())) {
      return true;
    }
    for (JsonNode child : node) {
      if (mentions(child, type)) {
        return true;
      }
    }
    return false;
  }

  /**
   * SentencePiece-style: merge priority is the rank of the first merge that forms a piece, which for a vocabulary
   * converted from SentencePiece is its score order.
   */
  private static Vocabulary sentencePiece(List<String> tokens, List<String> merges, Map<String, Integer> specials,
                                          String chatTemplate) {
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < tokens.size(); i++) {
      ids.putIfAbsent(tokens.get(i), i);
    }
    float[] scores = new float[tokens.size()];
    Arrays.fill(scores, Float.NaN);
    for (int rank = 0; rank < merges.size(); rank++) {
      String m = merges.get(rank);
      int sp = m.indexOf(' ', 1);
      Integer id = sp < 0 ? null : ids.get(m.substring(0, sp) + m.substring(sp + 1));
      if (id != null && Float.isNaN(scores[id])) {
        scores[id] = -rank;
      }
    }
    int[] types = new int[tokens.size()];
    java.util.Set<Integer> specialIds = new java.util.HashSet<>(specials.values());  // a scan per token is quadratic
    for (int i = 0; i < scores.length; i++) {
      String t = tokens.get(i);
      types[i] = specialIds.contains(i) ? (t.equals("<unk>") ? Vocabulary.UNKNOWN : Vocabulary.CONTROL)
          : t.length() == 6 && t.startsWith("<0x") && t.endsWith(">") ? Vocabulary.BYTE : Vocabulary.NORMAL;
      if (Float.isNaN(scores[i])) {
        scores[i] = -merges.size() - i;  // single characters and pieces no merge forms: after every merge
      }
    }
    int bos = specials.getOrDefault("<s>", -1);
    int eos = specials.getOrDefault("</s>", -1);
    int unk = specials.getOrDefault("<unk>", ids.getOrDefault("<unk>", -1));
    if (bos != 1 || eos != 2) {
      throw new SparsejException("SentencePiece-style vocabulary must have <s> = 1 and </s> = 2");
    }
    return new Vocabulary("llama", tokens, scores, types, null, bos, eos, unk, true, null, chatTemplate);
  }

  private static List<String> splits(JsonNode pre) {
    List<String> out = new ArrayList<>();
    addSplits(pre, out);
    return out;
  }

  private static void addSplits(JsonNode pre, List<String> out) {
    String type = pre.path("type").asText("");
    switch (type) {
      case "Sequence":
        for (JsonNode p : pre.path("pretokenizers")) {
          addSplits(p, out);
        }
        break;
      case "ByteLevel":
        if (pre.path("add_prefix_space").asBoolean(false)) {
          throw new SparsejException("ByteLevel add_prefix_space=true is not supported");
        }
        if (pre.path("use_regex").asBoolean(true)) {
          out.add(ByteLevelBpeTokenizer.GPT2_SPLIT);
        }
        break;
      case "Split": {
        String regex = pre.path("pattern").path("Regex").asText(null);
        if (regex == null || !pre.path("behavior").asText("").equals("Isolated") || pre.path("invert")
            .asBoolean(false)) {
          throw new SparsejException("Split pre-tokenizer must be an isolated, non-inverted Regex");
        }
        out.add(SplitPattern.of(regex).regex());  // refused unless a known pattern: no regex engine runs it
        break;
      }
      case "Digits":
        if (!pre.path("individual_digits").asBoolean(false)) {
          throw new SparsejException("Digits pre-tokenizer without individual_digits is not supported");
        }
        out.add(ByteLevelBpeTokenizer.DIGITS_SPLIT);
        break;
      case "":
        break;
      default:
        throw new SparsejException("pre-tokenizer " + type + " is not supported");
    }
  }

  /** The id of tokenizer_config.json's bos_token / eos_token ("text" or {"content": "text"}). */
  private static int specialId(JsonNode config, String key, Map<String, Integer> specials, int fallback) {
    JsonNode v = config.path(key);
    String name = v.isTextual() ? v.asText() : v.path("content").asText(null);
    if (name == null) {
      return fallback;
    }
    Integer id = specials.get(name);
    if (id == null) {
      throw new SparsejException("tokenizer_config.json's " + key + " '" + name + "' is not a special token");
    }
    return id;
  }

  /** The special token a TemplateProcessing post-processor puts first (the BOS it adds), or -1. */
  private static int templateBos(JsonNode root) {
    JsonNode post = root.path("post_processor");
    List<JsonNode> candidates = new ArrayList<>();
    candidates.add(post);
    post.path("processors").forEach(candidates::add);
    for (JsonNode p : candidates) {
      if (p.path("type").asText().equals("TemplateProcessing")) {
        JsonNode first = p.path("single").path(0).path("SpecialToken");
        String name = first.path("id").asText(null);
        if (name != null) {
          JsonNode ids = p.path("special_tokens").path(name).path("ids");
          if (ids.isArray() && ids.size() == 1) {
            return ids.get(0).asInt();
          }
        }
      }
    }
    return -1;
  }

}
