package org.sparsej.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.sparsej.api.Completion;
import org.sparsej.api.FinishReason;

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

  Responses(boolean chat, String id, long created, String model, boolean includeUsage) {
    this.chat = chat;
    this.id = id;
    this.created = created;
    this.model = model;
    this.includeUsage = includeUsage;
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
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(c.finishReason()));
    o.set("usage", usage(c));
    return o;
  }

  /** A chunk of streamed text; {@code first} opens a chat answer with the assistant role. */
  ObjectNode delta(String text, boolean first) {
    return chunk(text, first, null);
  }

  /** The chunk that ends a stream's choice, with its finish reason. */
  ObjectNode end(Completion c) {
    return chunk(null, false, finishReason(c.finishReason()));
  }

  /** With stream_options.include_usage: the last chunk, no choices, the usage. */
  ObjectNode usageChunk(Completion c) {
    ObjectNode o = head(chat ? "chat.completion.chunk" : "text_completion");
    o.putArray("choices");
    o.set("usage", usage(c));
    return o;
  }

  private ObjectNode chunk(String text, boolean first, String finish) {
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
    choice.putNull("logprobs");
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
}
