package org.sparsej.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.sparsej.api.ChatMessage;
import org.sparsej.api.GenerationOptions;
import org.sparsej.engine.SamplingParams;
import org.sparsej.generate.Sampler;

/**
 * A /v1/completions or /v1/chat/completions body, checked field by field: a field of the wrong type or out of
 * range is a 400 naming it. Fields OpenAI defines that SparseJ does not implement are refused unless they hold
 * their neutral value (n = 1, echo = false...); fields nobody defines are ignored, as OpenAI's own server does.
 */
record OpenAiRequest(String model, String prompt, int[] promptTokens, List<ChatMessage> messages,
                     GenerationOptions options, boolean stream, boolean includeUsage, int logprobs) {
  /** OpenAI's default max_tokens for /v1/completions; chat runs to the end of the context. */
  static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
  /** OpenAI's bounds: chat's top_logprobs in 0..20, the legacy completions' logprobs in 0..5. */
  static final int MAX_TOP_LOGPROBS = 20;
  static final int MAX_COMPLETION_LOGPROBS = 5;

  static OpenAiRequest parse(JsonNode root, boolean chat, int context) {
    if (root == null || !root.isObject()) {
      throw ApiError.invalid(null, "invalid_type", "the request body must be a JSON object");
    }
    String model = optionalString(root, "model");
    String prompt = null;
    int[] promptTokens = null;
    List<ChatMessage> messages = null;
    if (chat) {
      messages = messages(root.get("messages"));
    } else {
      JsonNode p = present(root, "prompt");
      if (p == null) {
        throw ApiError.invalid("prompt", "missing", "'prompt' is required");
      }
      if (p.isTextual()) {
        prompt = p.asText();
      } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
        prompt = p.get(0).asText();
      } else if (p.isArray() && p.size() > 0 && allInts(p)) {
        promptTokens = new int[p.size()];
        for (int i = 0; i < promptTokens.length; i++) {
          promptTokens[i] = p.get(i).asInt();
        }
      } else if (p.isArray() && p.size() > 1 && p.get(0).isTextual()) {
        throw ApiError.invalid("prompt", "invalid_value", "one prompt per request (n = 1): got " + p.size());
      } else {
        throw ApiError.invalid("prompt", "invalid_type", "'prompt' must be a string or an array of token ids");
      }
    }

    String maxName = chat && present(root, "max_completion_tokens") != null ? "max_completion_tokens" : "max_tokens";
    Long max = optionalInteger(root, maxName);
    int maxTokens;
    if (max == null) {
      maxTokens = chat ? -1 : COMPLETIONS_DEFAULT_MAX_TOKENS;
    } else if (max < 1 || max > context) {
      throw ApiError.invalid(maxName, "invalid_value", "'" + maxName + "' must be in 1.." + context
          + " (the model's context), got " + max);
    } else {
      maxTokens = max.intValue();
    }
    Double temperature = optionalNumber(root, "temperature");
    if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
      throw ApiError.invalid("temperature", "invalid_value", "'temperature' must be in 0..2, got " + temperature);
    }
    Double topP = optionalNumber(root, "top_p");
    if (topP != null && !(topP > 0 && topP <= 1)) {
      throw ApiError.invalid("top_p", "invalid_value", "'top_p' must be in (0, 1], got " + topP);
    }
    Long topK = optionalInteger(root, "top_k");
    if (topK != null && (topK < -1 || topK > Integer.MAX_VALUE)) {
      throw ApiError.invalid("top_k", "invalid_value", "'top_k' must be >= 0 (0 or -1 = off), got " + topK);
    }
    // vLLM's names; repetition_penalty takes llama.cpp's rule over the last 64 tokens (SamplingParams' default).
    Double minP = optionalNumber(root, "min_p");
    if (minP != null && !(minP >= 0 && minP <= 1)) {
      throw ApiError.invalid("min_p", "invalid_value", "'min_p' must be in [0, 1] (0 = off), got " + minP);
    }
    Double repetitionPenalty = optionalNumber(root, "repetition_penalty");
    if (repetitionPenalty != null && !(repetitionPenalty >= Sampler.MIN_REPEAT_PENALTY
        && repetitionPenalty <= Sampler.MAX_REPEAT_PENALTY)) {
      throw ApiError.invalid("repetition_penalty", "invalid_value", "'repetition_penalty' must be in "
          + Sampler.MIN_REPEAT_PENALTY + ".." + Sampler.MAX_REPEAT_PENALTY + " (1 = off), got " + repetitionPenalty);
    }
    Long seed = optionalInteger(root, "seed");
    List<String> stop = stop(present(root, "stop"));

    Long n = optionalInteger(root, "n");
    if (n != null && n != 1) {
      throw ApiError.invalid("n", "unsupported", "only n = 1 is supported, got " + n);
    }
    refuseUnlessNeutral(root);
    int logprobs = logprobs(root, chat);
    Boolean ignoreEos = optionalBoolean(root, "ignore_eos");  // vLLM's and llama.cpp's extension
    Boolean stream = optionalBoolean(root, "stream");
    boolean includeUsage = false;
    JsonNode so = present(root, "stream_options");
    if (so != null) {
      if (!so.isObject()) {
        throw ApiError.invalid("stream_options", "invalid_type", "'stream_options' must be an object");
      }
      if (stream == null || !stream) {
        throw ApiError.invalid("stream_options", "invalid_value", "'stream_options' is only allowed with stream: true");
      }
      Boolean usage = optionalBoolean(so, "include_usage");
      includeUsage = usage != null && usage;
    }
    GenerationOptions options = GenerationOptions.defaults().withMaxTokens(maxTokens)
        .withTemperature(temperature == null ? 1f : temperature.floatValue())
        .withTopP(topP == null ? 1f : topP.floatValue())
        .withTopK(topK == null || topK < 0 ? 0 : topK.intValue())
        .withMinP(minP == null ? 0f : minP.floatValue())
        .withRepeatPenalty(repetitionPenalty == null ? 1f : repetitionPenalty.floatValue(),
            SamplingParams.DEFAULT_REPEAT_LAST_N)
        .withSeed(seed)
        .withStop(stop)
        .withIgnoreEos(ignoreEos != null && ignoreEos);
    if (logprobs >= 0) {
      // The engine records top logits only when asked; at least one, as each token's own logprob comes with them.
      options = options.withTopLogits(Math.max(logprobs, 1));
    }
    return new OpenAiRequest(model, prompt, promptTokens, messages, options, stream != null && stream,
        includeUsage, logprobs);
  }

  /**
   * How many alternatives per token the answer's logprobs list, or -1 for no logprobs: chat's logprobs (true/false)
   * with top_logprobs (0..20, only with logprobs: true), or the completions' logprobs (0..5).
   */
  private static int logprobs(JsonNode root, boolean chat) {
    if (!chat) {
      JsonNode v = present(root, "logprobs");
      if (v != null && v.isBoolean() && !v.asBoolean()) {
        return -1;  // false: the off value some clients send
      }
      Long n = optionalInteger(root, "logprobs");
      if (n != null && (n < 0 || n > MAX_COMPLETION_LOGPROBS)) {
        throw ApiError.invalid("logprobs", "invalid_value", "'logprobs' must be in 0.." + MAX_COMPLETION_LOGPROBS
            + ", got " + n);
      }
      return n == null ? -1 : n.intValue();
    }
    Boolean on = optionalBoolean(root, "logprobs");
    Long top = optionalInteger(root, "top_logprobs");
    if (top != null && (top < 0 || top > MAX_TOP_LOGPROBS)) {
      throw ApiError.invalid("top_logprobs", "invalid_value", "'top_logprobs' must be in 0.." + MAX_TOP_LOGPROBS
          + ", got " + top);
    }
    if (top != null && (on == null || !on)) {
      throw ApiError.invalid("top_logprobs", "invalid_value", "'top_logprobs' needs 'logprobs': true");
    }
    return on == null || !on ? -1 : top == null ? 0 : top.intValue();
  }

  private static void refuseUnlessNeutral(JsonNode root) {
    for (String f : List.of("presence_penalty", "frequency_penalty")) {
      Double v = optionalNumber(root, f);
      if (v != null && v != 0) {
        throw ApiError.invalid(f, "unsupported", "'" + f + "' is not supported (only 0)");
      }
    }
    Boolean echo = optionalBoolean(root, "echo");
    if (echo != null && echo) {
      throw ApiError.invalid("echo", "unsupported", "'echo' is not supported");
    }
    Long bestOf = optionalInteger(root, "best_of");
    if (bestOf != null && bestOf != 1) {
      throw ApiError.invalid("best_of", "unsupported", "only best_of = 1 is supported");
    }
    for (String f : List.of("suffix", "tools", "functions", "logit_bias")) {
      JsonNode v = present(root, f);
      if (v != null && !(v.isContainerNode() && v.isEmpty())) {
        throw ApiError.invalid(f, "unsupported", "'" + f + "' is not supported");
      }
    }
  }

  private static List<ChatMessage> messages(JsonNode node) {
    if (node == null || node.isNull()) {
      throw ApiError.invalid("messages", "missing", "'messages' is required");
    }
    if (!node.isArray() || node.isEmpty()) {
      throw ApiError.invalid("messages", "invalid_type", "'messages' must be a non-empty array");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode m = node.get(i);
      String where = "messages[" + i + "]";
      if (!m.isObject()) {
        throw ApiError.invalid(where, "invalid_type", where + " must be an object");
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual()) {
        throw ApiError.invalid(where + ".role", "invalid_type", where + ".role must be a string");
      }
      if (!List.of("system", "user", "assistant", "developer").contains(role.asText())) {
        throw ApiError.invalid(where + ".role", "invalid_value", where + ".role must be system, user or "
            + "assistant, got '" + role.asText() + "'");
      }
      String r = role.asText().equals("developer") ? "system" : role.asText();
      out.add(new ChatMessage(r, content(m.get("content"), where + ".content")));
    }
    return out;
  }

  /** A message's content: a string, or an array of {"type": "text", "text": ...} parts joined. */
  private static String content(JsonNode c, String where) {
    if (c != null && c.isTextual()) {
      return c.asText();
    }
    if (c != null && c.isArray()) {
      StringBuilder s = new StringBuilder();
      for (JsonNode part : c) {
        if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
          throw ApiError.invalid(where, "unsupported", where + ": only text parts ({\"type\": \"text\"}) are "
              + "supported");
        }
        s.append(part.get("text").asText());
      }
      return s.toString();
    }
    throw ApiError.invalid(where, "invalid_type", where + " must be a string or an array of text parts");
  }

  private static List<String> stop(JsonNode node) {
    if (node == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (node.isTextual()) {
      out.add(node.asText());
    } else if (node.isArray()) {
      for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
        JsonNode s = it.next();
        if (!s.isTextual()) {
          throw ApiError.invalid("stop", "invalid_type", "'stop' must be a string or an array of strings");
        }
        out.add(s.asText());
      }
    } else {
      throw ApiError.invalid("stop", "invalid_type", "'stop' must be a string or an array of strings");
    }
    if (out.size() > GenerationOptions.MAX_STOP_STRINGS) {
      throw ApiError.invalid("stop", "invalid_value", "at most " + GenerationOptions.MAX_STOP_STRINGS
          + " stop strings, got " + out.size());
    }
    if (out.stream().anyMatch(String::isEmpty)) {
      throw ApiError.invalid("stop", "invalid_value", "stop strings must not be empty");
    }
    return out;
  }

  private static boolean allInts(JsonNode array) {
    for (JsonNode e : array) {
      if (!e.isIntegralNumber() || !e.canConvertToInt()) {
        return false;
      }
    }
    return true;
  }

  /** A value for an error message, cut short: the message must stay one short line. */
  private static String brief(JsonNode n) {
    String s = n.toString();
    return s.length() <= 40 ? s : s.substring(0, 37) + "...";
  }

  /** The field, or null when it is absent or JSON null. */
  private static JsonNode present(JsonNode root, String field) {
    JsonNode n = root.get(field);
    return n == null || n.isNull() ? null : n;
  }

  private static String optionalString(JsonNode root, String field) {
    JsonNode n = present(root, field);
    if (n != null && !n.isTextual()) {
      throw ApiError.invalid(field, "invalid_type", "'" + field + "' must be a string");
    }
    return n == null ? null : n.asText();
  }

  private static Long optionalInteger(JsonNode root, String field) {
    JsonNode n = present(root, field);
    if (n == null) {
      return null;
    }
    if (!n.isIntegralNumber() || !n.canConvertToLong()) {
      throw ApiError.invalid(field, "invalid_type", "'" + field + "' must be an integer, got " + brief(n));
    }
    return n.asLong();
  }

  private static Double optionalNumber(JsonNode root, String field) {
    JsonNode n = present(root, field);
    if (n == null) {
      return null;
    }
    if (!n.isNumber()) {
      throw ApiError.invalid(field, "invalid_type", "'" + field + "' must be a number, got " + brief(n));
    }
    return n.asDouble();
  }

  private static Boolean optionalBoolean(JsonNode root, String field) {
    JsonNode n = present(root, field);
    if (n == null) {
      return null;
    }
    if (!n.isBoolean()) {
      throw ApiError.invalid(field, "invalid_type", "'" + field + "' must be true or false, got " + brief(n));
    }
    return n.asBoolean();
  }
}
