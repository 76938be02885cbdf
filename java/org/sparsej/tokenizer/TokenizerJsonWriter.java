package org.sparsej.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a vocabulary as Hugging Face tokenizer.json + tokenizer_config.json. A SentencePiece-style vocabulary
 * becomes what transformers' Llama converter produces (Prepend/Replace normalizer, BPE with byte_fallback, merges
 * ordered by the score of the piece they form); a byte-level one keeps its merges and split regexes.
 */
public final class TokenizerJsonWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerJsonWriter() {}

  public static void write(Vocabulary v, Path dir) throws IOException {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (int i = 0; i < v.size(); i++) {
      int t = v.types()[i];
      if (t == Vocabulary.CONTROL || t == Vocabulary.UNKNOWN) {
        ObjectNode a = added.addObject();
        a.put("id", i).put("content", v.tokens().get(i)).put("single_word", false).put("lstrip", false)
            .put("rstrip", false).put("normalized", false).put("special", true);
      }
    }
    ObjectNode model = f.objectNode();
    model.put("type", "BPE").putNull("dropout");
    boolean spm = v.model().equals("llama");
    if (spm) {
      ObjectNode norm = root.putObject("normalizer");
      norm.put("type", "Sequence");
      ArrayNode ns = norm.putArray("normalizers");
      ns.addObject().put("type", "Prepend").put("prepend", "\u2581");
      ObjectNode rep = ns.addObject().put("type", "Replace");
      rep.putObject("pattern").put("String", " ");
      rep.put("content", "\u2581");
      root.putNull("pre_tokenizer");
      root.set("post_processor", bosPostProcessor(v));
      ObjectNode dec = root.putObject("decoder");
      dec.put("type", "Sequence");
      ArrayNode ds = dec.putArray("decoders");
      ObjectNode r = ds.addObject().put("type", "Replace");
      r.putObject("pattern").put("String", "\u2581");
      r.put("content", " ");
      ds.addObject().put("type", "ByteFallback");
      ds.addObject().put("type", "Fuse");
      ds.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
      model.put("unk_token", v.unk() >= 0 ? v.tokens().get(v.unk()) : "<unk>");
      model.put("fuse_unk", true).put("byte_fallback", true);
    } else {
      root.putNull("normalizer");
      ObjectNode pre = root.putObject("pre_tokenizer");
      pre.put("type", "Sequence");
      ArrayNode ps = pre.putArray("pretokenizers");
      for (String regex : v.splits()) {
        ObjectNode s = ps.addObject().put("type", "Split");
        s.putObject("pattern").put("Regex", regex);
        s.put("behavior", "Isolated").put("invert", false);
      }
      ps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
          .put("use_regex", false);
      root.set("post_processor", bosPostProcessor(v));
      root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
          .put("use_regex", true);
      model.putNull("unk_token");
      model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", v.ignoreMerges());
    }
    ObjectNode vocab = model.putObject("vocab");
    for (int i = 0; i < v.size(); i++) {
      vocab.put(v.tokens().get(i), i);
    }
    ArrayNode merges = model.putArray("merges");
    (spm ? spmMerges(v) : v.merges()).forEach(merges::add);
    root.set("model", model);
    Files.write(dir.resolve("tokenizer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));

    ObjectNode config = f.objectNode();
    // Not LlamaTokenizerFast: transformers 5 would rebuild its own Llama pipeline from the vocabulary (and split
    // "  two" otherwise than SentencePiece); PreTrainedTokenizerFast runs tokenizer.json as written.
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    if (v.bos() >= 0) {
      config.put("bos_token", v.tokens().get(v.bos()));
    }
    if (v.eos() >= 0) {
      config.put("eos_token", v.tokens().get(v.eos()));
    }
    if (v.unk() >= 0) {
      config.put("unk_token", v.tokens().get(v.unk()));
    }
    config.put("add_bos_token", v.addBos()).put("add_eos_token", false);
    if (v.chatTemplate() != null) {
      config.put("chat_template", v.chatTemplate());
    }
    Files.write(dir.resolve("tokenizer_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
  }

  /**
   * The post-processor that adds BOS as the source tokenizer does (TemplateProcessing "BOS $A", pairs
   * "BOS $A BOS $B" as transformers' Llama converter writes them), or null when it adds none.
   */
  private static ObjectNode bosPostProcessor(Vocabulary v) {
    if (!v.addBos() || v.bos() < 0) {
      return null;
    }
    String bos = v.tokens().get(v.bos());
    ObjectNode p = JsonNodeFactory.instance.objectNode();
    p.put("type", "TemplateProcessing");
    ArrayNode single = p.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = p.putArray("pair");
    pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("SpecialToken").put("id", bos).put("type_id", 1);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode special = p.putObject("special_tokens").putObject(bos);
    special.put("id", bos);
    special.putArray("ids").add(v.bos());
    special.putArray("tokens").add(bos);
    return p;
  }

  /** Every split of a normal piece into two pieces, best-scored merged piece first, then by the pair's ids. */
  static List<String> spmMerges(Vocabulary v) {
    Map<String, Integer> ids = new HashMap<>();
    for (int i = 0; i < v.size(); i++) {
      if (v.types()[i] == Vocabulary.NORMAL || v.types()[i] == Vocabulary.USER_DEFINED) {
        ids.putIfAbsent(v.tokens().get(i), i);
      }
    }
    List<int[]> merges = new ArrayList<>();  // {merged, left, right}
    for (Map.Entry<String, Integer> e : ids.entrySet()) {
      String piece = e.getKey();
      for (int k = piece.offsetByCodePoints(0, 1); k < piece.length(); k = piece.offsetByCodePoints(k, 1)) {
        Integer a = ids.get(piece.substring(0, k));
        Integer b = ids.get(piece.substring(k));
        if (a != null && b != null) {
          merges.add(new int[] {e.getValue(), a, b});
        }
      }
    }
    float[] s = v.scores();
    merges.sort(Comparator.<int[]>comparingDouble(m -> -s[m[0]]).thenComparingInt(m -> m[0])
        .thenComparingInt(m -> m[1]).thenComparingInt(m -> m[2]));
    List<String> out = new ArrayList<>(merges.size());
    for (int[] m : merges) {
      out.add(v.tokens().get(m[1]) + " " + v.tokens().get(m[2]));
    }
    return out;
  }
}
