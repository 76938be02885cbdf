package org.sparsej.quantize;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.sparsej.prune.BlockModifier;
import org.sparsej.prune.PruneRecipe;
import org.sparsej.prune.Pruner;
import org.sparsej.prune.PruningModifier;
import org.sparsej.prune.SparsityPattern;
import org.sparsej.prune.Stage;
import org.sparsej.util.SparsejException;

/**
 * Reads an llm-compressor recipe (YAML) into stages of modifiers, with llm-compressor's names:
 * <pre>
 * sparsity_stage:
 *   run_type: oneshot
 *   sparsity_modifiers:
 *     SparseGPTModifier: {sparsity: 0.5, mask_structure: "2:4", targets: [Linear], ignore: [lm_head]}
 * quantization_stage:
 *   quantization_modifiers:
 *     SmoothQuantModifier: {smoothing_strength: 0.8}
 *     QuantizationModifier: {scheme: W8A8, targets: [Linear], ignore: [lm_head, "auto:2"]}
 * </pre>
 * Top-level keys are {@code NAME_stage} (llm-compressor's shape) or, as older recipes have it, a bare
 * {@code NAME_modifiers} group (a stage of its own); a stage holds {@code run_type: oneshot} and
 * {@code NAME_modifiers} groups, a group maps modifier names to their fields. Stages and modifiers run in file
 * order. Modifiers: SparseGPTModifier, WandaPruningModifier, MagnitudePruningModifier (sparsity, mask_structure
 * "0:0" = unstructured or "N:M", targets, ignore), SmoothQuantModifier (smoothing_strength, mappings, ignore),
 * QuantizationModifier (scheme W8A8|W8A16, targets, ignore; a target lm_head quantizes the classifier too).
 * A stage with {@code run_type: train} fine-tunes the whole model ({@link TrainStage}). Anything else — an
 * unknown key, modifier or field, a value of the wrong type — is one error naming it.
 */
public final class CompressionRecipe {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final List<String> PRUNING_FIELDS = List.of("sparsity", "mask_structure", "targets", "ignore");
  private static final List<String> SMOOTH_FIELDS = List.of("smoothing_strength", "mappings", "ignore");
  private static final List<String> QUANT_FIELDS = List.of("scheme", "targets", "ignore");

  private final String source;
  private final int rankSamples;

  private CompressionRecipe(String source, int rankSamples) {
    this.source = source;
    this.rankSamples = rankSamples;
  }

  /**
   * The stages of {@code text}; {@code source} names it in errors; {@code rankSamples} is the calibration sequences
   * a QuantizationModifier with {@code auto:K} ranks sensitivity on.
   */
  public static List<Stage> parse(String text, String source, int rankSamples) {
    JsonNode root;
    try {
      root = YAML.readTree(text);
    } catch (JsonProcessingException e) {
      String m = e.getOriginalMessage();
      throw new SparsejException(source + ": not valid YAML: " + m.lines().findFirst().orElse(m)
          + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
    }
    List<Stage> stages = new CompressionRecipe(source, rankSamples).stages(root);
    boolean quantized = false;
    for (Stage st : stages) {
      if (st.trains() && quantized) {
        throw new SparsejException(source + ": stage '" + st.name() + "' trains after a QuantizationModifier: "
            + "sparsej trains F32 weights only, so fine-tune before quantizing");
      }
      quantized |= st.modifiers().stream().anyMatch(m -> m instanceof QuantizationModifier);
    }
    return stages;
  }

  SparsejException error(String message) {
    return new SparsejException(source + ": " + message);
  }

  private List<Stage> stages(JsonNode root) {
    if (root == null || !root.isObject() || root.isEmpty()) {
      throw error("not a recipe: expected NAME_stage entries, each holding NAME_modifiers groups");
    }
    List<Stage> stages = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : fields(root)) {
      String key = e.getKey();
      if (key.endsWith("_stage")) {
        stages.add(stage(key, e.getValue()));
      } else if (key.endsWith("_modifiers")) {
        stages.add(new Stage(key.substring(0, key.length() - "_modifiers".length()), group(key, e.getValue())));
      } else {
        throw error("unknown top-level key '" + key + "' (expected NAME_stage, or NAME_modifiers)");
      }
    }
    return stages;
  }

  private Stage stage(String key, JsonNode node) {
    if (!node.isObject()) {
      throw error("stage '" + key + "' must be a mapping of NAME_modifiers groups");
    }
    String name = key.substring(0, key.length() - "_stage".length());
    JsonNode runType = node.get("run_type");
    if (runType != null && runType.asText().equals("train")) {
      return TrainStage.parse(this::error, key, name, node);
    }
    List<BlockModifier> modifiers = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : fields(node)) {
      String k = e.getKey();
      if (k.equals("run_type")) {
        if (!e.getValue().asText().equals("oneshot")) {
          throw error("stage '" + key + "': run_type '" + e.getValue().asText() + "' is not supported (sparsej "
              + "runs oneshot and train stages)");
        }
      } else if (k.endsWith("_modifiers")) {
        modifiers.addAll(group(key + "." + k, e.getValue()));
      } else {
        throw error("stage '" + key + "' has an unknown key '" + k + "' (expected run_type or NAME_modifiers)");
      }
    }
    if (modifiers.isEmpty()) {
      throw error("stage '" + key + "' has no modifiers");
    }
    return new Stage(name, modifiers);
  }

  private List<BlockModifier> group(String where, JsonNode node) {
    if (!node.isObject() || node.isEmpty()) {
      throw error("'" + where + "' must map modifier names to their fields");
    }
    List<BlockModifier> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : fields(node)) {
      out.add(modifier(e.getKey(), e.getValue()));
    }
    return out;
  }

  private BlockModifier modifier(String name, JsonNode node) {
    JsonNode fields = modifierFields(name, node, this::error);
    try {
      return build(name, fields);
    } catch (SparsejException e) {
      throw e.getMessage().startsWith(source + ": ") ? e : error(name + ": " + e.getMessage());
    }
  }

  private BlockModifier build(String name, JsonNode fields) {
    switch (name) {
      case "SparseGPTModifier": return pruning(name, "sparsegpt", fields);
      case "WandaPruningModifier": return pruning(name, "wanda", fields);
      case "MagnitudePruningModifier": return pruning(name, "magnitude", fields);
      case "SmoothQuantModifier": return smoothQuant(fields);
      case "QuantizationModifier": return quantization(fields);
      case "ConstantPruningModifier", "OutputDistillationModifier":
        throw error(name + " belongs in a stage with run_type: train");
      default:
        throw error("unknown modifier '" + name + "' (sparsej runs SparseGPTModifier, WandaPruningModifier, "
            + "MagnitudePruningModifier, SmoothQuantModifier and QuantizationModifier)");
    }
  }

  /** Refuses, with one {@code error}, a field of {@code modifier} that is not in {@code known}. */
  static void requireKnown(String modifier, JsonNode fields, List<String> known,
                           Function<String, SparsejException> error) {
    for (Map.Entry<String, JsonNode> e : fields(fields)) {
      if (!known.contains(e.getKey())) {
        throw error.apply(modifier + " has no field '" + e.getKey() + "' that sparsej reads (its fields: "
            + String.join(", ", known) + ")");
      }
    }
  }

  private BlockModifier pruning(String name, String method, JsonNode f) {
    requireKnown(name, f, PRUNING_FIELDS, this::error);
    SparsityPattern pattern = SparsityPattern.UNSTRUCTURED;
    if (f.has("mask_structure")) {
      String text = string(name, "mask_structure", f.get("mask_structure"));
      try {
        pattern = text.trim().equals("0:0") ? SparsityPattern.UNSTRUCTURED : SparsityPattern.parse(text);
      } catch (SparsejException e) {
        throw error(name + ".mask_structure: " + e.getMessage());
      }
    }
    double sparsity;
    if (f.has("sparsity")) {
      sparsity = number(name, "sparsity", f.get("sparsity"));
    } else if (!pattern.unstructured()) {
      sparsity = pattern.sparsity(0);
    } else {
      throw error(name + " needs a sparsity (the fraction of zeros, in [0, 1))");
    }
    if (!(sparsity >= 0 && sparsity < 1)) {
      throw error(name + ".sparsity must be in [0, 1), got " + sparsity);
    }
    return new PruningModifier(new PruneRecipe(Pruner.named(method), sparsity, pattern,
        strings(name, "targets", f, List.of("Linear")), strings(name, "ignore", f, List.of())));
  }

  private BlockModifier smoothQuant(JsonNode f) {
    String name = "SmoothQuantModifier";
    requireKnown(name, f, SMOOTH_FIELDS, this::error);
    double alpha = f.has("smoothing_strength") ? number(name, "smoothing_strength", f.get("smoothing_strength"))
        : 0.5;
    if (!(alpha >= 0 && alpha <= 1)) {
      throw error(name + ".smoothing_strength must be in [0, 1], got " + alpha);
    }
    Set<SmoothQuant.Mapping> mappings = f.has("mappings") ? mappings(f.get("mappings"))
        : EnumSet.allOf(SmoothQuant.Mapping.class);
    return new SmoothQuantModifier(alpha, mappings, strings(name, "ignore", f, List.of()));
  }

  /** llm-compressor's [[balance layers], smooth layer] pairs, each recognised as one of the four folds. */
  private Set<SmoothQuant.Mapping> mappings(JsonNode node) {
    if (!node.isArray()) {
      throw error("SmoothQuantModifier.mappings must be a list of [[balance layers], smooth layer] pairs");
    }
    Set<SmoothQuant.Mapping> out = EnumSet.noneOf(SmoothQuant.Mapping.class);
    for (JsonNode pair : node) {
      if (!pair.isArray() || pair.size() != 2 || !pair.get(1).isTextual()) {
        throw error("SmoothQuantModifier.mappings entry " + pair + " is not a [[balance layers], smooth layer] pair");
      }
      String smooth = pair.get(1).asText();
      String balance = pair.get(0).toString();
      SmoothQuant.Mapping m;
      String[] expected;
      if (smooth.contains("post_attention_layernorm")) {
        m = SmoothQuant.Mapping.GATE_UP;
        expected = new String[] {"gate_proj", "up_proj"};
      } else if (smooth.contains("input_layernorm")) {
        m = SmoothQuant.Mapping.QKV;
        expected = new String[] {"q_proj", "k_proj", "v_proj"};
      } else if (smooth.contains("v_proj")) {
        m = SmoothQuant.Mapping.O;
        expected = new String[] {"o_proj"};
      } else if (smooth.contains("up_proj")) {
        m = SmoothQuant.Mapping.DOWN;
        expected = new String[] {"down_proj"};
      } else {
        throw error("SmoothQuantModifier mapping onto '" + smooth + "' is not one sparsej can fold (smooth layers: "
            + "input_layernorm, post_attention_layernorm, v_proj, up_proj)");
      }
      for (String e : expected) {
        if (!balance.contains(e)) {
          throw error("SmoothQuantModifier mapping onto '" + smooth + "' must balance " + String.join(", ", expected)
              + " together, got " + balance);
        }
      }
      out.add(m);
    }
    return out;
  }

  private BlockModifier quantization(JsonNode f) {
    String name = "QuantizationModifier";
    requireKnown(name, f, QUANT_FIELDS, this::error);
    if (!f.has("scheme")) {
      throw error(name + " needs a scheme (W8A8 or W8A16)");
    }
    QuantizationScheme scheme;
    try {
      scheme = QuantizationScheme.parse(string(name, "scheme", f.get("scheme")));
    } catch (SparsejException e) {
      throw error(name + ".scheme: " + e.getMessage());
    }
    return new QuantizationModifier(scheme, strings(name, "targets", f, List.of("Linear")),
        strings(name, "ignore", f, List.of()), rankSamples);
  }

  private double number(String modifier, String field, JsonNode v) {
    if (v.isNumber()) {
      return v.doubleValue();
    }
    if (v.isTextual()) {
      try {
        return Double.parseDouble(v.asText().trim());
      } catch (NumberFormatException e) {
        // fall through
      }
    }
    throw error(modifier + "." + field + " must be a number, got " + v);
  }

  private String string(String modifier, String field, JsonNode v) {
    if (!v.isValueNode() || v.isNull()) {
      throw error(modifier + "." + field + " must be a string, got " + v);
    }
    return v.asText();
  }

  private List<String> strings(String modifier, String field, JsonNode f, List<String> absent) {
    JsonNode v = f.get(field);
    if (v == null || v.isNull()) {
      return absent;
    }
    if (v.isTextual()) {
      return List.of(v.asText());
    }
    if (!v.isArray()) {
      throw error(modifier + "." + field + " must be a name or a list of names, got " + v);
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : v) {
      if (!n.isTextual()) {
        throw error(modifier + "." + field + " entries must be names, got " + n);
      }
      out.add(n.asText());
    }
    return out;
  }

  /**
   * A modifier's fields: its mapping, or an empty one where the recipe names the modifier with no fields (YAML
   * null); anything else is one {@code error}. Every modifier, oneshot or train, is read through here.
   */
  static JsonNode modifierFields(String name, JsonNode node, Function<String, SparsejException> error) {
    if (node.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!node.isObject()) {
      throw error.apply(name + ": expected a mapping of fields");
    }
    return node;
  }

  static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    return () -> {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      return it;
    };
  }
}
