package org.sparsej.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;
import org.sparsej.util.SparsejException;

/**
 * The chat formats of the common Llama-architecture families, written as code rather than run through a Jinja
 * engine. {@link #detect} picks one from a model's chat template (tokenizer_config.json's "chat_template" or GGUF's
 * tokenizer.chat_template) by its marker tokens; {@link #byName} picks one explicitly. {@link #render} gives the text
 * the family's template renders; {@link #encode} gives the token ids, with the family's special tokens as ids and the
 * messages' text encoded as plain text (a "&lt;s&gt;" typed by the user stays text).
 */
public enum ChatTemplate {
  /** Llama 2 chat: {@code <s>[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST] answer </s>}. */
  LLAMA2("llama2"),
  /** Llama 3 / 3.1 instruct: header ids around each role, {@code <|eot_id|>} after each message. */
  LLAMA3("llama3"),
  /** ChatML (SmolLM, Qwen, ...): {@code <|im_start|>role\ncontent<|im_end|>\n}. */
  CHATML("chatml"),
  /** Zephyr (TinyLlama chat): {@code <|role|>\ncontent</s>\n}. */
  ZEPHYR("zephyr");

  /** One message of a conversation: role is "system", "user" or "assistant". */
  public record Message(String role, String content) {}

  private final String id;

  ChatTemplate(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static ChatTemplate byName(String name) {
    for (ChatTemplate t : values()) {
      if (t.id.equals(name.toLowerCase(Locale.ROOT))) {
        return t;
      }
    }
    throw new SparsejException("unknown chat template '" + name + "' (llama2, llama3, chatml, zephyr)");
  }

  /** The family of a Jinja chat template, recognised by its markers; null if none matches. */
  public static ChatTemplate detect(String jinja) {
    if (jinja == null) {
      return null;
    }
    if (jinja.contains("<|start_header_id|>")) {
      return LLAMA3;
    }
    if (jinja.contains("<|im_start|>")) {
      return CHATML;
    }
    if (jinja.contains("[INST]")) {
      return LLAMA2;
    }
    if (jinja.contains("<|user|>") || jinja.contains("<|assistant|>")) {
      return ZEPHYR;
    }
    return null;
  }

  /** A piece of the rendered conversation: a special token (by its spelling) or text. */
  private record Part(boolean special, String text) {}

  private List<Part> parts(List<Message> messages, boolean addGenerationPrompt) {
    List<Part> p = new ArrayList<>();
    switch (this) {
      case LLAMA2: {
        String system = null;
        int start = 0;
        if (!messages.isEmpty() && messages.get(0).role().equals("system")) {
          system = messages.get(0).content();
          start = 1;
        }
        for (int i = start; i < messages.size(); i++) {
          Message m = messages.get(i);
          String content = i == start && system != null
              ? "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + m.content() : m.content();
          if (m.role().equals("user")) {
            p.add(new Part(true, "<s>"));
            p.add(new Part(false, "[INST] " + content.strip() + " [/INST]"));
          } else if (m.role().equals("assistant")) {
            p.add(new Part(false, " " + content.strip() + " "));
            p.add(new Part(true, "</s>"));
          } else {
            throw new SparsejException("llama2 chat: role '" + m.role() + "' is not system, user or assistant");
          }
        }
        break;
      }
      case LLAMA3:
        p.add(new Part(true, "<|begin_of_text|>"));
        for (Message m : messages) {
          header(p, m.role());
          p.add(new Part(false, m.content().strip()));
          p.add(new Part(true, "<|eot_id|>"));
        }
        if (addGenerationPrompt) {
          header(p, "assistant");
        }
        break;
      case CHATML:
        for (Message m : messages) {
          p.add(new Part(true, "<|im_start|>"));
          p.add(new Part(false, m.role() + "\n" + m.content()));
          p.add(new Part(true, "<|im_end|>"));
          p.add(new Part(false, "\n"));
        }
        if (addGenerationPrompt) {
          p.add(new Part(true, "<|im_start|>"));
          p.add(new Part(false, "assistant\n"));
        }
        break;
      default:  // ZEPHYR
        for (Message m : messages) {
          p.add(new Part(false, "<|" + m.role() + "|>\n" + m.content()));
          p.add(new Part(true, "</s>"));
          p.add(new Part(false, "\n"));
        }
        if (addGenerationPrompt) {
          p.add(new Part(false, "<|assistant|>\n"));
        }
    }
    return p;
  }

  private static void header(List<Part> p, String role) {
    p.add(new Part(true, "<|start_header_id|>"));
    p.add(new Part(false, role));
    p.add(new Part(true, "<|end_header_id|>"));
    p.add(new Part(false, "\n\n"));
  }

  /** The text the family's Jinja template renders for these messages. */
  public String render(List<Message> messages, boolean addGenerationPrompt) {
    StringBuilder s = new StringBuilder();
    for (Part part : parts(messages, addGenerationPrompt)) {
      s.append(part.text());
    }
    return s.toString();
  }

  /**
   * Token ids of the conversation: special tokens by id (looked up in the tokenizer; {@code <s>}/{@code </s>} are its
   * BOS/EOS), text segments by {@link Tokenizer#encode} without BOS/EOS.
   */
  public int[] encode(Tokenizer tokenizer, List<Message> messages, boolean addGenerationPrompt) {
    IntStream.Builder ids = IntStream.builder();
    for (Part part : parts(messages, addGenerationPrompt)) {
      if (part.special()) {
        ids.add(specialId(tokenizer, part.text()));
      } else if (!part.text().isEmpty()) {
        for (int id : tokenizer.encode(part.text(), false, false)) {
          ids.add(id);
        }
      }
    }
    return ids.build().toArray();
  }

  private int specialId(Tokenizer t, String token) {
    if (token.equals("<s>") && t.bos() >= 0) {
      return t.bos();
    }
    if (token.equals("</s>") && t.eos() >= 0) {
      return t.eos();
    }
    if (t instanceof ByteLevelBpeTokenizer b && b.id(token) >= 0) {
      return b.id(token);
    }
    throw new SparsejException(id + " chat template needs the special token " + token + ", which this tokenizer "
        + "lacks");
  }
}
