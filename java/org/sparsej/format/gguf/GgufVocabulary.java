package org.sparsej.format.gguf;

import java.util.List;
import org.sparsej.tokenizer.Vocabulary;

/** The tokenizer embedded in GGUF metadata ("tokenizer.ggml.*"), read and written as a {@link Vocabulary}. */
public final class GgufVocabulary {
  private GgufVocabulary() {}

  /** The embedded vocabulary, or a one-line error naming the file. */
  public static Vocabulary read(GgufFile g) {
    Object model = g.metadata().get("tokenizer.ggml.model");
    if (model == null) {
      throw g.file().error("has no embedded tokenizer (tokenizer.ggml.model is missing)");
    }
    if (!"llama".equals(model) && !"gpt2".equals(model)) {
      throw g.file().error("tokenizer model '" + model + "' is not supported (llama and gpt2 are)");
    }
    List<String> tokens = strings(g, "tokenizer.ggml.tokens", true);
    int n = tokens.size();
    float[] scores = null;
    GgufArray rawScores = array(g, "tokenizer.ggml.scores", false);
    if (rawScores != null) {
      if (rawScores.size() != n) {
        throw g.file().error("tokenizer.ggml.scores has " + rawScores.size() + " entries for " + n + " tokens");
      }
      if (!rawScores.isFloat()) {
        throw g.file().error("tokenizer.ggml.scores holds non-numbers");
      }
      scores = new float[n];
      for (int i = 0; i < n; i++) {
        scores[i] = (float) rawScores.doubleAt(i);
      }
    }
    int[] types = new int[n];
    GgufArray rawTypes = array(g, "tokenizer.ggml.token_type", false);
    if (rawTypes != null && (rawTypes.size() != n || !rawTypes.isInteger())) {
      throw g.file().error("tokenizer.ggml.token_type must hold one integer per token");
    }
    for (int i = 0; i < n; i++) {
      types[i] = rawTypes == null ? Vocabulary.NORMAL : (int) rawTypes.longAt(i);
    }
    List<String> merges = "gpt2".equals(model) ? strings(g, "tokenizer.ggml.merges", true) : null;
    int bos = id(g, "tokenizer.ggml.bos_token_id", n);
    int eos = id(g, "tokenizer.ggml.eos_token_id", n);
    int unk = id(g, "tokenizer.ggml.unknown_token_id", n);
    boolean addBos = !Boolean.FALSE.equals(g.metadata().get("tokenizer.ggml.add_bos_token"));
    Object pre = g.metadata().get("tokenizer.ggml.pre");
    Object template = g.metadata().get("tokenizer.chat_template");
    try {
      return new Vocabulary((String) model, tokens, scores, types, merges, bos, eos, unk, addBos,
          pre instanceof String s ? s : null, template instanceof String s ? s : null);
    } catch (org.sparsej.util.SparsejException e) {
      throw g.file().error(e.getMessage());
    }
  }

  private static GgufArray array(GgufFile g, String key, boolean required) {
    Object v = g.metadata().get(key);
    if (v == null && !required) {
      return null;
    }
    if (!(v instanceof GgufArray a)) {
      throw g.file().error(key + (v == null ? " is missing" : " is not an array"));
    }
    return a;
  }

  private static List<String> strings(GgufFile g, String key, boolean required) {
    GgufArray a = array(g, key, required);
    if (!a.isString()) {
      throw g.file().error(key + " holds non-strings");
    }
    return a.strings();
  }

  private static int id(GgufFile g, String key, int n) {
    Object v = g.metadata().get(key);
    if (v == null) {
      return -1;
    }
    if (!(v instanceof Long l) || l < 0 || l >= n) {
      throw g.file().error(key + " " + v + " is not a token id (vocabulary of " + n + ")");
    }
    return (int) (long) l;
  }

  /** The embedded tokenizer, ready to use; any problem is reported against the file. */
  public static org.sparsej.tokenizer.Tokenizer tokenizer(GgufFile g) {
    Vocabulary v = read(g);
    try {
      return v.tokenizer();
    } catch (org.sparsej.util.SparsejException e) {
      throw g.file().error("embedded tokenizer: " + e.getMessage());
    }
  }

  /** Writes a vocabulary as "tokenizer.ggml.*" metadata. */
  public static void write(GgufWriter w, Vocabulary v) {
    w.putString("tokenizer.ggml.model", v.model());
    if (v.pre() != null && v.model().equals("gpt2")) {
      w.putString("tokenizer.ggml.pre", v.pre());
    }
    w.putStrings("tokenizer.ggml.tokens", v.tokens());
    if (v.scores() != null) {
      w.putF32s("tokenizer.ggml.scores", v.scores());
    }
    w.putI32s("tokenizer.ggml.token_type", v.types());
    if (v.merges() != null) {
      w.putStrings("tokenizer.ggml.merges", v.merges());
    }
    if (v.bos() >= 0) {
      w.putU32("tokenizer.ggml.bos_token_id", v.bos());
    }
    if (v.eos() >= 0) {
      w.putU32("tokenizer.ggml.eos_token_id", v.eos());
    }
    if (v.unk() >= 0) {
      w.putU32("tokenizer.ggml.unknown_token_id", v.unk());
    }
    w.putBool("tokenizer.ggml.add_bos_token", v.addBos());
    w.putBool("tokenizer.ggml.add_eos_token", false);
    if (v.chatTemplate() != null) {
      w.putString("tokenizer.chat_template", v.chatTemplate());
    }
  }
}
