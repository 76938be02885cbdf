package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.LlamaConfig;
import org.sparsej.util.JsonFiles;
import org.sparsej.util.SparsejException;

/**
 * A Hugging Face config.json of a Llama-architecture model (Llama 1-3, Mistral, SmolLM, TinyLlama), read into a
 * {@link LlamaConfig}. Hugging Face stores q/k rows in "rotate_half" order, hence {@link RopeStyle#HALF}. What the
 * forward pass cannot honour (biases, partial rotary, RoPE scaling other than none) is refused with one line.
 */
public record HfConfig(LlamaConfig llama, boolean tiedEmbeddings, ObjectNode json) {
  static final ObjectMapper JSON = JsonFiles.MAPPER;

  static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM");

  public static HfConfig read(Path file) {
    return parse(file, JsonFiles.readObject(file));
  }

  static HfConfig parse(Path file, ObjectNode json) {
    String where = file.toString();
    JsonNode arch = json.get("architectures");
    String modelType = json.path("model_type").asText("");
    if (arch != null && arch.isArray() && arch.size() > 0) {
      String name = arch.get(0).asText();
      if (!ARCHITECTURES.contains(name)) {
        throw new SparsejException(where + ": architecture " + name + " is not supported (SparseJ runs "
            + String.join(", ", ARCHITECTURES) + ")");
      }
    } else if (!modelType.equals("llama") && !modelType.equals("mistral")) {
      throw new SparsejException(where + ": model_type '" + modelType + "' is not supported (expected llama or "
          + "mistral)");
    }
    int dim = positiveInt(where, json, "hidden_size");
    int hidden = positiveInt(where, json, "intermediate_size");
    int layers = positiveInt(where, json, "num_hidden_layers");
    int heads = positiveInt(where, json, "num_attention_heads");
    int kvHeads = json.has("num_key_value_heads") && !json.get("num_key_value_heads").isNull()
        ? positiveInt(where, json, "num_key_value_heads") : heads;
    int vocab = positiveInt(where, json, "vocab_size");
    int seq = positiveInt(where, json, "max_position_embeddings");
    if (json.hasNonNull("head_dim") && json.get("head_dim").asInt() * heads != dim) {
      throw new SparsejException(where + ": head_dim " + json.get("head_dim").asInt() + " x " + heads
          + " heads differs from hidden_size " + dim + " (not supported)");
    }
    if (json.hasNonNull("sliding_window") && json.get("sliding_window").canConvertToInt()) {
      int window = json.get("sliding_window").asInt();
      if (window > 0 && window < seq) {
        seq = window;  // within the window, sliding-window attention is plain causal attention
      }
    }
    String act = json.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new SparsejException(where + ": hidden_act '" + act + "' is not supported (Llama uses silu)");
    }
    for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
      if (json.path(bias).asBoolean(false)) {
        throw new SparsejException(where + ": " + bias + "=true is not supported (Llama layers have no bias)");
      }
    }
    JsonNode ropeParams = json.path("rope_parameters");  // transformers 5 moves rope_theta and the scaling here
    double theta = json.hasNonNull("rope_theta") ? positiveNumber(where, json, "rope_theta", "")
        : ropeParams.hasNonNull("rope_theta") ? positiveNumber(where, ropeParams, "rope_theta", "rope_parameters.")
        : 10000.0;
    checkRopeScaling(where, json.get("rope_scaling"));
    checkRopeScaling(where, ropeParams.isObject() ? ropeParams : null);
    float eps = json.hasNonNull("rms_norm_eps") ? (float) positiveNumber(where, json, "rms_norm_eps", "") : 1e-6f;
    boolean tied = json.path("tie_word_embeddings").asBoolean(false);
    try {
      return new HfConfig(new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, tied, eps, (float) theta,
          RopeStyle.HALF), tied, json);
    } catch (SparsejException e) {
      throw new SparsejException(where + ": " + e.getMessage());
    }
  }

  private static void checkRopeScaling(String where, JsonNode scaling) {
    if (scaling == null || scaling.isNull()) {
      return;
    }
    String type = scaling.path("rope_type").asText(scaling.path("type").asText("default"));
    if (!type.equals("default") && !type.equals("none")) {
      throw new SparsejException(where + ": rope_scaling type '" + type + "' is not supported (only unscaled "
          + "RoPE: rope_scaling null or \"default\")");
    }
  }

  private static int positiveInt(String where, JsonNode json, String key) {
    JsonNode v = json.get(key);
    if (v == null || v.isNull()) {
      throw new SparsejException(where + ": missing '" + key + "'");
    }
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() <= 0) {
      throw new SparsejException(where + ": '" + key + "' must be a positive integer, got " + v);
    }
    return v.asInt();
  }

  /** A number that must be finite and positive, and stay so in float (eps 1e-50 would become 0). */
  private static double positiveNumber(String where, JsonNode json, String key, String prefix) {
    JsonNode v = json.get(key);
    if (!v.isNumber() || !(v.asDouble() > 0) || !(v.floatValue() > 0) || Float.isInfinite(v.floatValue())) {
      throw new SparsejException(where + ": '" + prefix + key + "' must be a positive number, got " + v);
    }
    return v.asDouble();
  }

  /** The compressed-tensors block of config.json ("quantization_config", or the older "compression_config"). */
  public JsonNode compressionConfig() {
    JsonNode q = json.get("quantization_config");
    if (q == null || q.isNull()) {
      q = json.get("compression_config");
    }
    return q == null || q.isNull() ? null : q;
  }
}
