package org.sparsej.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntFunction;
import org.sparsej.api.Completion;
import org.sparsej.api.FinishReason;
import org.sparsej.api.TokenLogits;

/**
 * OpenAI's response bodies for one request: the whole answer, or the chunks of a stream (each with the same id,
 * created time and model), for /v1/completions ("text_completion") and /v1/chat/completions
 * ("chat.completion" / "chat.completion.chunk").
 */
final class Responses {
  private final boolean chat;
  private final String id;
  private final long created;
  private final String model;
  private final boolean includeUsage;
  private final int logprobs;  // alternatives per token, -1 = no logprobs
  private final IntFunction<byte[]> tokenBytes;
  private int textOffset;  // completions' text_offset runs on over a stream's chunks

  /**
   * @param logprobs alternatives per token in the answer's logprobs (-1 = none: "logprobs": null)
   * @param tokenBytes a token id's bytes (its text)
   */
  Responses(boolean chat, String id, long created, String model, boolean includeUsage, int logprobs,
            IntFunction<byte[]> tokenBytes) {
    this.chat = chat;
    this.id = id;
    this.created = created;
    this.model = model;
    this.includeUsage = includeUsage;
    this.logprobs = logprobs;
    this.tokenBytes = tokenBytes;
  }

  boolean includesUsage() {
    return includeUsage;
  }

  private ObjectNode head(String object) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("id", id);
    o.put("object", object);
    o.put("created", created);
    o.put("model", model);
    return o;
  }

  static String finishReason(FinishReason r) {
    return r == FinishReason.LENGTH ? "length" : "stop";
  }

  private static ObjectNode usage(Completion c) {
    ObjectNode u = JsonNodeFactory.instance.objectNode();
    u.put("prompt_tokens", c.promptTokens());
    u.put("completion_tokens", c.completionTokens());
    u.put("total_tokens", c.promptTokens() + c.completionTokens());
    return u;
  }

  /** The non-streamed answer. */
  ObjectNode whole(Completion c) {
    ObjectNode o = head(chat ? "chat.completion" : "text_completion");
    ObjectNode choice = o.putArray("choices").addObject();
    choice.put("index", 0);
    if (chat) {
      ObjectNode m = choice.putObject("message");
      m.put("role", "assistant");
      m.put("content", c.text());
    } else {
      choice.put("text", c.text());
    }
    logprobs(choice, c.topLogits());
    choice.put("finish_reason", finishReason(c.finishReason()));
    o.set("usage", usage(c));
    return o;
  }

  /**
   * A chunk of streamed text with the logits of the tokens it carries (empty when not asked); {@code first} opens a
   * chat answer with the assistant role.
   */
  ObjectNode delta(String text, boolean first, List<TokenLogits> tokens) {
    return chunk(text, first, null, tokens);
  }

  /** The chunk that ends a stream's choice, with its finish reason. */
  ObjectNode end(Completion c) {
    return chunk(null, false, finishReason(c.finishReason()), List.of());
  }

  /** With stream_options.include_usage: the last chunk, no choices, the usage. */
  ObjectNode usageChunk(Completion c) {
    ObjectNode o = head(chat ? "chat.completion.chunk" : "text_completion");
    o.putArray("choices");
    o.set("usage", usage(c));
    return o;
  }

  private ObjectNode chunk(String text, boolean first, String finish, List<TokenLogits> tokens) {
    ObjectNode o = head(chat ? "chat.completion.chunk" : "text_completion");
    ObjectNode choice = o.putArray("choices").addObject();
    choice.put("index", 0);
    if (chat) {
      ObjectNode d = choice.putObject("delta");
      if (first) {
        d.put("role", "assistant");
      }
      if (text != null) {
        d.put("content", text);
      }
    } else {
      choice.put("text", text == null ? "" : text);
    }
    if (tokens.isEmpty()) {
      choice.putNull("logprobs");  // the role chunk and the finish chunk carry no tokens
    } else {
      logprobs(choice, tokens);
    }
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    if (includeUsage) {
      o.putNull("usage");
    }
    return o;
  }

  /**
   * The choice's "logprobs": chat's {content: [{token, logprob, bytes, top_logprobs}]}, or the completions'
   * {tokens, token_logprobs, top_logprobs, text_offset}; null when the request did not ask. The values are the
   * log-softmax of the model's logits as it gave them, before the repeat penalty, temperature, top-k/top-p/min-p
   * (vLLM's default "raw_logprobs" and what OpenAI reports), so they do not change with the sampling settings.
   * Every generated token is listed, as usage counts them: a final end-of-sequence token under its spelling, and
   * the tokens of a stop string whose text was dropped.
   */
  private void logprobs(ObjectNode choice, List<TokenLogits> tokens) {
    if (logprobs < 0) {
      choice.putNull("logprobs");
      return;
    }
    ObjectNode lp = choice.putObject("logprobs");
    if (chat) {
      ArrayNode content = lp.putArray("content");
      for (TokenLogits t : tokens) {
        ObjectNode e = content.addObject();
        entry(e, t.token(), t.logprob());
        ArrayNode top = e.putArray("top_logprobs");
        for (int i = 0; i < Math.min(logprobs, t.ids().length); i++) {
          entry(top.addObject(), t.ids()[i], t.logprob(i));
        }
      }
      lp.putNull("refusal");
      return;
    }
    ArrayNode texts = lp.putArray("tokens");
    ArrayNode values = lp.putArray("token_logprobs");
    ArrayNode tops = lp.putArray("top_logprobs");
    ArrayNode offsets = lp.putArray("text_offset");
    for (TokenLogits t : tokens) {
      String text = text(t.token());
      texts.add(text);
      values.add(value(t.logprob()));
      ObjectNode top = tops.addObject();
      for (int i = 0; i < Math.min(logprobs, t.ids().length); i++) {
        String alt = text(t.ids()[i]);
        if (!top.has(alt)) {  // two ids spelled alike: the likelier one (ids are largest first)
          top.put(alt, value(t.logprob(i)));
        }
      }
      offsets.add(textOffset);
      textOffset += text.length();
    }
  }

  private void entry(ObjectNode e, int id, double logprob) {
    byte[] b = tokenBytes.apply(id);
    e.put("token", new String(b, StandardCharsets.UTF_8));
    e.put("logprob", value(logprob));
    ArrayNode bytes = e.putArray("bytes");
    for (byte x : b) {
      bytes.add(x & 0xff);
    }
  }

  private String text(int id) {
    return new String(tokenBytes.apply(id), StandardCharsets.UTF_8);
  }

  /** OpenAI's floor for a token of probability 0 (JSON has no -Infinity). */
  private static double value(double logprob) {
    return Math.max(logprob, -9999.0);
  }
}
