package org.sparsej.prune;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.sparsej.util.SparsejException;

/**
 * The names of a model's block linears and how {@code targets} / {@code ignore} entries select them. Each linear has
 * SparseJ's short name {@code layers.L.wq|wk|wv|wo|w1|w2|w3} and its Hugging Face module name
 * {@code model.layers.L.self_attn.q_proj ... mlp.up_proj}, the one llm-compressor recipes use. An entry selects a
 * linear when it is
 * <ul>
 *   <li>{@code re:REGEX}: the regex matches the start of either name or of one of the module's parents
 *       ({@code model.layers.L.self_attn}, {@code model.layers.L}), as llm-compressor's {@code re.match} does;</li>
 *   <li>{@code Linear}, {@code __ALL__} or {@code __ALL_PRUNABLE__}: every block linear;</li>
 *   <li>otherwise either name exactly, its suffix after a dot ({@code w2}, {@code down_proj}) or its prefix up to a
 *       dot ({@code layers.0}, {@code model.layers.3.mlp}).</li>
 * </ul>
 * The classifier ({@code lm_head}) is never pruned; entries naming it are accepted and select no block linear
 * (a QuantizationModifier whose targets name it, and whose ignore list does not, quantizes it:
 * {@link #anyNamesLmHead}).
 */
public final class LinearNames {
  /** Short names in LayerWeights order. */
  public static final List<String> SHORT = List.of("wq", "wk", "wv", "wo", "w1", "w2", "w3");
  private static final List<String> HF = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
      "self_attn.o_proj", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj");
  /** Names of the always-dense parts, accepted in ignore lists. */
  public static final List<String> ALWAYS_DENSE = List.of("lm_head", "classifier", "embed_tokens", "embedding");
  private static final List<String> ALL = List.of("linear", "__all__", "__all_prunable__");

  private LinearNames() {}

  /** {@code layers.L.wq}: the name in logs and reports. */
  public static String name(int layer, int index) {
    return "layers." + layer + "." + SHORT.get(index);
  }

  /** {@code model.layers.L.self_attn.q_proj}. */
  public static String hfName(int layer, int index) {
    return "model.layers." + layer + "." + HF.get(index);
  }

  public static boolean selects(String entry, int layer, int index) {
    if (ALL.contains(entry.toLowerCase(Locale.ROOT))) {
      return true;
    }
    String shortName = name(layer, index);
    String hf = hfName(layer, index);
    if (entry.startsWith("re:")) {
      Pattern p = regex(entry);
      String block = "model.layers." + layer;
      String parent = hf.substring(0, hf.lastIndexOf('.'));
      for (String n : new String[] {hf, shortName, parent, block}) {
        if (p.matcher(n).lookingAt()) {
          return true;
        }
      }
      return false;
    }
    for (String n : new String[] {shortName, hf}) {
      if (n.equals(entry) || n.endsWith("." + entry) || n.startsWith(entry + ".")) {
        return true;
      }
    }
    return false;
  }

  /** Whether any of {@code entries} selects the linear. */
  public static boolean anySelects(List<String> entries, int layer, int index) {
    for (String e : entries) {
      if (selects(e, layer, index)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an entry names the classifier (which is always left dense). */
  public static boolean namesClassifier(String entry) {
    if (entry.startsWith("re:")) {
      return regex(entry).matcher("lm_head").lookingAt();
    }
    return ALWAYS_DENSE.contains(entry);
  }

  /**
   * Whether an entry names the classifier itself: {@code lm_head}, {@code classifier}, or a {@code re:} pattern
   * matching {@code lm_head}. Not {@code Linear}: llm-compressor's {@code Linear} takes in lm_head unless the recipe
   * ignores it (its recipes do), SparseJ's keeps it FP32 unless a target names it.
   */
  public static boolean anyNamesLmHead(List<String> entries) {
    for (String e : entries) {
      if (e.equals("lm_head") || e.equals("classifier") || e.startsWith("re:") && namesClassifier(e)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Throws unless every entry selects at least one block linear of a model with {@code layers} blocks (or names the
   * classifier): a misspelt name must not silently select nothing.
   */
  public static void requireEachSelects(List<String> entries, int layers, String what) {
    for (String e : entries) {
      if (namesClassifier(e)) {
        continue;
      }
      boolean found = false;
      for (int l = 0; l < layers && !found; l++) {
        for (int i = 0; i < SHORT.size() && !found; i++) {
          found = selects(e, l, i);
        }
      }
      if (!found) {
        throw new SparsejException(what + " '" + e + "' names no linear of this " + layers + "-block model (use "
            + "layers.L.wq|wk|wv|wo|w1|w2|w3, a suffix such as w2 or down_proj, a block such as layers.0, "
            + "re:REGEX on model.layers.L.self_attn.q_proj-style names, or lm_head)");
      }
    }
  }

  private static Pattern regex(String entry) {
    try {
      return Pattern.compile(entry.substring(3));
    } catch (PatternSyntaxException e) {
      throw new SparsejException("bad regular expression in '" + entry + "': " + e.getDescription());
    }
  }
}
