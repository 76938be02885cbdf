package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.Precision;
import org.sparsej.weights.StoredWeight.Layout;

/**
 * What config.json's compressed-tensors block (vLLM, llm-compressor) says about each linear module: which sparse
 * layout its compressed tensors use, whether it is int8 and whether its activations are quantized too (W8A8).
 * The per-weight tensors are described in docs/formats.md:
 * <ul>
 *   <li>"sparse-bitmask": {@code shape} (I64 [2]), {@code compressed} (kept values, 1-D), {@code bitmask}
 *       (U8 [rows][ceil(cols/8)], numpy packbits little) and {@code row_offsets} (I64 [rows]);</li>
 *   <li>"sparse-24-bitmask": {@code shape} (I64 [2, 1]), {@code compressed} ([rows][cols/2], the 2 kept values of
 *       every group of 4) and {@code bitmask} (as above, exactly 2 bits per group);</li>
 *   <li>"int-quantized" (symmetric): {@code weight} I8 [rows][cols] and {@code weight_scale} [rows][groups]
 *       ("pack-quantized", 8 bits: {@code weight_packed} I32 [rows][cols/4] holding q + 128 per byte instead);
 *       a sparse int8 weight stacks the two: the int8 {@code weight} is compressed, {@code weight_scale} stays.</li>
 * </ul>
 */
public record CompressedTensors(Layout sparseLayout, List<Group> groups, List<String> ignore,
                                DenseSparsity denseSparsity) {
  /** One quantization config group: the modules it targets and whether their inputs are int8 per token. */
  public record Group(List<String> targets, boolean int8Activations) {}

  /**
   * A sparsity_config of format "dense" (compressed-tensors' DenseSparsityConfig): the weights are stored dense
   * with their zeros in place, and {@code targets} less {@code ignore} are sparse. A hint: the reader counts each
   * target's zeros itself ({@link #sparseTarget}).
   */
  public record DenseSparsity(List<String> targets, List<String> ignore) {}

  static final CompressedTensors NONE = new CompressedTensors(null, List.of(), List.of(), null);

  /** Whether config.json says {@code module} is a dense-stored sparse weight (worth counting its zeros at load). */
  public boolean sparseTarget(String module) {
    return denseSparsity != null && denseSparsity.targets().stream().anyMatch(t -> matches(t, module))
        && denseSparsity.ignore().stream().noneMatch(t -> matches(t, module));
  }

  /** Whether a target ("Linear", a module name, or "re:" + a regular expression) selects a linear module. */
  static boolean matches(String target, String module) {
    if (target.equals("Linear") || target.equals(module)) {
      return true;
    }
    if (target.startsWith("re:")) {
      try {
        return Pattern.compile(target.substring(3)).matcher(module).lookingAt();
      } catch (PatternSyntaxException e) {
        return false;
      }
    }
    return false;
  }

  /** INT8 (weight-only) or W8A8 for an int8 module, as the first quantization group that targets it says. */
  public Precision int8Precision(String module) {
    if (ignore.stream().noneMatch(t -> matches(t, module))) {
      for (Group g : groups) {
        if (g.targets().stream().anyMatch(t -> matches(t, module))) {
          return g.int8Activations() ? Precision.W8A8 : Precision.INT8;
        }
      }
    }
    return Precision.INT8;
  }

  /**
   * @param q        the quantization_config block, or null
   * @param topLevel a sparsity_config beside it at the top of config.json (where SparseJ puts the dense one of a
   *                 float model, which has no quantization_config), or null
   */
  static CompressedTensors parse(Path configFile, JsonNode q, JsonNode topLevel) {
    DenseSparsity hint = denseSparsity(q == null ? null : q.get("sparsity_config"));
    if (hint == null) {
      hint = denseSparsity(topLevel);
    }
    CompressedTensors c = parse(configFile, q);
    return new CompressedTensors(c.sparseLayout, c.groups, c.ignore, hint);
  }

  /** The hint of a sparsity_config of format "dense" with a non-zero global_sparsity; null for any other. */
  private static DenseSparsity denseSparsity(JsonNode s) {
    if (s == null || !s.isObject() || !s.path("format").asText("").equals(Layout.DENSE.compressedTensorsName())
        || !(s.path("global_sparsity").asDouble(0) > 0)) {
      return null;
    }
    List<String> targets = strings(s.path("targets"));
    return new DenseSparsity(targets.isEmpty() ? List.of("Linear") : targets, strings(s.path("ignore")));
  }

  private static CompressedTensors parse(Path configFile, JsonNode q) {
    if (q == null) {
      return NONE;
    }
    String method = q.path("quant_method").asText("compressed-tensors");
    if (!method.equals("compressed-tensors")) {
      throw new SparsejException(configFile + ": quantization method '" + method + "' is not supported (SparseJ "
          + "reads compressed-tensors)");
    }
    Layout sparse = null;
    JsonNode sparsity = q.path("sparsity_config");
    if (sparsity.isObject() && sparsity.size() > 0) {
      String format = sparsity.path("format").asText("");
      if (format.equals(Layout.BITMASK.compressedTensorsName())) {
        sparse = Layout.BITMASK;
      } else if (format.equals(Layout.TWO_FOUR.compressedTensorsName())) {
        sparse = Layout.TWO_FOUR;
      } else if (!format.equals("dense")) {
        throw new SparsejException(configFile + ": sparsity format '" + format + "' is not supported "
            + "(sparse-bitmask, sparse-24-bitmask and dense are)");
      }
    }
    List<Group> groups = new ArrayList<>();
    JsonNode config = q.path("config_groups");
    if (config.isObject() && config.size() > 0) {
      String format = q.path("format").asText("");
      if (!List.of("int-quantized", "naive-quantized", "pack-quantized", "dense").contains(format)) {
        throw new SparsejException(configFile + ": quantization format '" + format + "' is not supported "
            + "(int-quantized and 8-bit pack-quantized are)");
      }
      for (JsonNode g : config) {
        JsonNode w = g.path("weights");
        if (w.isObject() && (w.path("num_bits").asInt(8) != 8 || !w.path("type").asText("int").equals("int"))) {
          throw new SparsejException(configFile + ": weights of " + w.path("num_bits").asInt() + "-bit "
              + w.path("type").asText() + " are not supported (8-bit int is)");
        }
        groups.add(new Group(strings(g.path("targets")), int8Activations(configFile, g.path("input_activations"))));
      }
    }
    return new CompressedTensors(sparse, groups, strings(q.path("ignore")), null);
  }

  /** True for dynamic per-token 8-bit int activations; false for none; anything else is refused. */
  private static boolean int8Activations(Path configFile, JsonNode a) {
    if (a.isMissingNode() || a.isNull()) {
      return false;
    }
    boolean ok = a.path("num_bits").asInt(8) == 8 && a.path("type").asText("int").equals("int")
        && a.path("symmetric").asBoolean(true) && a.path("dynamic").asBoolean(false)
        && a.path("strategy").asText("token").equals("token");
    if (!ok) {
      throw new SparsejException(configFile + ": input_activations " + a + " are not supported (dynamic, "
          + "symmetric, per-token 8-bit int is)");
    }
    return true;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    if (array.isArray()) {
      array.forEach(n -> out.add(n.asText()));
    }
    return out;
  }
}
