package org.sparsej.api;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.tokenizer.ByteLevelBpeTokenizer;
import org.sparsej.tokenizer.ChatTemplate;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.Vocabulary;

/**
 * A model's chat format: the template and the tokens that end an assistant's turn (used by {@link Model#chat} and
 * by the {@code sparsej chat} command).
 *
 * @param template   the family's format
 * @param stopTokens the ids that end an assistant's turn (EOS, and the family's end-of-turn tokens)
 */
public record Chat(ChatTemplate template, int[] stopTokens) {
  static Chat forModel(Path model, ModelOptions options, Tokenizer tokenizer) {
    return forModel(model, options.chatTemplate(), options.tokenizer(), tokenizer);
  }

  /**
   * The template named {@code templateName} (llama2, llama3, chatml, zephyr), else the one the model's tokenizer
   * declares (tokenizer_config.json's chat_template, GGUF's tokenizer.chat_template), else llama2.
   *
   * @param tokenizerFile the tokenizer file given apart from the model, or null
   */
  public static Chat forModel(Path model, String templateName, Path tokenizerFile, Tokenizer tokenizer) {
    ChatTemplate t;
    if (templateName != null) {
      t = ChatTemplate.byName(templateName);
    } else {
      int vocab = tokenizer.vocabSize();
      Vocabulary v = tokenizerFile != null ? ModelTokenizers.vocabularyFromFile(tokenizerFile, vocab)
          : ModelTokenizers.vocabularyOrNull(model, vocab);
      t = v == null ? null : ChatTemplate.detect(v.chatTemplate());
      if (t == null) {
        t = ChatTemplate.LLAMA2;
      }
    }
    IntStream.Builder stops = IntStream.builder();
    if (tokenizer.eos() >= 0) {
      stops.add(tokenizer.eos());
    }
    if (tokenizer instanceof ByteLevelBpeTokenizer b) {
      for (String end : List.of("<|eot_id|>", "<|im_end|>", "<|end_of_text|>")) {
        if (b.id(end) >= 0) {
          stops.add(b.id(end));
        }
      }
    }
    return new Chat(t, stops.build().distinct().toArray());
  }

  /**
   * The conversation's tokens, ending with the assistant's turn opened; the caller holds the tokenizer's lock if
   * others share it.
   *
   * @throws ModelException (INVALID_REQUEST) for no messages, an unknown role or a special token the tokenizer lacks
   */
  public int[] encode(List<ChatMessage> messages, Tokenizer tokenizer) {
    return encode(messages, tokenizer, true);
  }

  /** As {@link #encode(List, Tokenizer)}; without {@code addGenerationPrompt} the assistant's turn is not opened. */
  public int[] encode(List<ChatMessage> messages, Tokenizer tokenizer, boolean addGenerationPrompt) {
    if (messages.isEmpty()) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, "a chat needs at least one message");
    }
    for (ChatMessage m : messages) {
      if (!List.of("system", "user", "assistant").contains(m.role())) {
        throw new ModelException(ModelException.Kind.INVALID_REQUEST, "message role '" + m.role()
            + "' is not system, user or assistant");
      }
    }
    try {
      int[] ids = template.encode(tokenizer, messages.stream()
          .map(m -> new ChatTemplate.Message(m.role(), m.content())).toList(), addGenerationPrompt);
      if (template == ChatTemplate.ZEPHYR && tokenizer.bos() >= 0) {  // its template starts with the tokenizer's BOS
        return IntStream.concat(IntStream.of(tokenizer.bos()), IntStream.of(ids)).toArray();
      }
      return ids;
    } catch (org.sparsej.util.SparsejException e) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, e.getMessage(), e);
    }
  }
}
