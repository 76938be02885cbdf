package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.sparsej.backend.RopeStyle;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.RopeScaling;
import org.sparsej.util.JsonFiles;
import org.sparsej.util.SparsejException;

/**
 * A Hugging Face config.json of a Llama-architecture model (Llama 1-3, Mistral, Qwen2, SmolLM, TinyLlama), read
 * into a {@link LlamaConfig}: head_dim, RoPE scaling (linear, llama3, yarn) and Qwen2's q/k/v biases included.
 * Hugging Face stores q/k rows in "rotate_half" order, hence {@link RopeStyle#HALF}. What the forward pass cannot
 * honour (an o_proj or MLP bias, partial rotary, other RoPE scalings) is refused with one line.
 */
public record HfConfig(LlamaConfig llama, boolean tiedEmbeddings, ObjectNode json) {
  static final ObjectMapper JSON = JsonFiles.MAPPER;

  static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM",
      "Qwen2ForCausalLM");

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
    } else if (!modelType.equals("llama") && !modelType.equals("mistral") && !modelType.equals("qwen2")) {
      throw new SparsejException(where + ": model_type '" + modelType + "' is not supported (expected llama, "
          + "mistral or qwen2)");
    }
    boolean qwen2 = modelType.equals("qwen2") || arch != null && arch.path(0).asText().equals("Qwen2ForCausalLM");
    int dim = positiveInt(where, json, "hidden_size");
    int hidden = positiveInt(where, json, "intermediate_size");
    int layers = positiveInt(where, json, "num_hidden_layers");
    int heads = positiveInt(where, json, "num_attention_heads");
    int kvHeads = json.has("num_key_value_heads") && !json.get("num_key_value_heads").isNull()
        ? positiveInt(where, json, "num_key_value_heads") : heads;
    int vocab = positiveInt(where, json, "vocab_size");
    int seq = positiveInt(where, json, "max_position_embeddings");
    int headDim = json.hasNonNull("head_dim") ? positiveInt(where, json, "head_dim") : 0;
    if (headDim == 0 && dim % heads != 0) {
      throw new SparsejException(where + ": hidden_size " + dim + " is not a multiple of num_attention_heads "
          + heads + " and no head_dim is given");
    }
    headDim = headDim == 0 ? dim / heads : headDim;
    int slidingWindow = 0;
    if (json.hasNonNull("sliding_window") && json.get("sliding_window").canConvertToInt()
        && (!qwen2 || json.path("use_sliding_window").asBoolean(false))) {
      if (qwen2) {
        throw new SparsejException(where + ": use_sliding_window=true is not supported for qwen2");
      }
      int window = json.get("sliding_window").asInt();
      slidingWindow = window > 0 && window < seq ? window : 0;  // a window past the context changes nothing
    }
    String act = json.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new SparsejException(where + ": hidden_act '" + act + "' is not supported (Llama uses silu)");
    }
    for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
      if (json.path(bias).asBoolean(false)) {
        throw new SparsejException(where + ": " + bias + "=true is not supported (only Qwen2's q/k/v biases are)");
      }
    }
    JsonNode ropeParams = json.path("rope_parameters");  // transformers 5 moves rope_theta and the scaling here
    double theta = json.hasNonNull("rope_theta") ? positiveNumber(where, json, "rope_theta", "")
        : ropeParams.hasNonNull("rope_theta") ? positiveNumber(where, ropeParams, "rope_theta", "rope_parameters.")
        : 10000.0;
    JsonNode scalingNode = json.get("rope_scaling");
    RopeScaling scaling = ropeScaling(where, scalingNode != null && !scalingNode.isNull() ? scalingNode
        : ropeParams.isObject() ? ropeParams : null, seq);
    float eps = json.hasNonNull("rms_norm_eps") ? (float) positiveNumber(where, json, "rms_norm_eps", "") : 1e-6f;
    boolean tied = json.path("tie_word_embeddings").asBoolean(false);
    try {
      return new HfConfig(new LlamaConfig(dim, hidden, layers, heads, kvHeads, vocab, seq, tied, eps, (float) theta,
          RopeStyle.HALF, headDim, scaling, qwen2, slidingWindow), tied, json);
    } catch (SparsejException e) {
      throw new SparsejException(where + ": " + e.getMessage());
    }
  }

  /** rope_scaling (or transformers 5's rope_parameters) as transformers reads it, defaults included. */
  private static RopeScaling ropeScaling(String where, JsonNode r, int maxPositions) {
    if (r == null) {
      return RopeScaling.NONE;
    }
    String type = r.path("rope_type").asText(r.path("type").asText("default"));
    if (r.path("partial_rotary_factor").asDouble(1.0) != 1.0) {
      throw new SparsejException(where + ": partial_rotary_factor is not supported (RoPE rotates whole heads)");
    }
    double factor = r.path("factor").asDouble(Double.NaN);
    int original = r.path("original_max_position_embeddings").asInt(maxPositions);
    try {
      switch (type) {
        case "default":
        case "none":
          return RopeScaling.NONE;
        case "linear":
          return RopeScaling.linear(factor);
        case "llama3":
          return RopeScaling.llama3(factor, original, r.path("low_freq_factor").asDouble(Double.NaN),
              r.path("high_freq_factor").asDouble(Double.NaN));
        case "yarn": {
          if (Double.isNaN(factor)) {
            factor = (double) maxPositions / original;
          }
          double attention = r.path("attention_factor").asDouble(Double.NaN);
          double m = r.path("mscale").asDouble(0);
          double mAll = r.path("mscale_all_dim").asDouble(0);
          if (Double.isNaN(attention) && m != 0 && mAll != 0) {
            attention = RopeScaling.mscale(factor, m) / RopeScaling.mscale(factor, mAll);
          }
          return RopeScaling.yarn(factor, original, positiveOr(r, "beta_fast", 32), positiveOr(r, "beta_slow", 1),
              attention, r.path("truncate").asBoolean(true));
        }
        default:
          throw new SparsejException("rope_scaling type '" + type + "' is not supported (default, linear, llama3, "
              + "yarn are)");
      }
    } catch (SparsejException e) {
      throw new SparsejException(where + ": " + e.getMessage());
    }
  }

  /** A yarn beta, where transformers takes 0 or null as "the default" ({@code or}). */
  private static double positiveOr(JsonNode r, String key, double fallback) {
    double v = r.path(key).asDouble(0);
    return v == 0 ? fallback : v;
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

  /** A sparsity_config at the top of config.json (a dense-stored sparse float model's, as SparseJ writes it). */
  public JsonNode topLevelSparsityConfig() {
    JsonNode s = json.get("sparsity_config");
    return s == null || s.isNull() ? null : s;
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
