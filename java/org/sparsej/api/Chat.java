package org.sparsej.api;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.tokenizer.ByteLevelBpeTokenizer;
import org.sparsej.tokenizer.ChatTemplate;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.Vocabulary;

/** A model's chat format: the template and the tokens that end an assistant's turn. */
record Chat(ChatTemplate template, int[] stopTokens) {
  /** The template named in the options, else the one the model's tokenizer declares, else llama2. */
  static Chat forModel(Path model, ModelOptions options, Tokenizer tokenizer) {
    ChatTemplate t;
    if (options.chatTemplate() != null) {
      t = ChatTemplate.byName(options.chatTemplate());
    } else {
      int vocab = tokenizer.vocabSize();
      Vocabulary v = options.tokenizer() != null ? ModelTokenizers.vocabularyFromFile(options.tokenizer(), vocab)
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

  /** The conversation's tokens, ending with the assistant's turn opened; caller holds the tokenizer's lock. */
  int[] encode(List<ChatMessage> messages, Tokenizer tokenizer) {
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
          .map(m -> new ChatTemplate.Message(m.role(), m.content())).toList(), true);
      if (template == ChatTemplate.ZEPHYR && tokenizer.bos() >= 0) {  // its template starts with the tokenizer's BOS
        return IntStream.concat(IntStream.of(tokenizer.bos()), IntStream.of(ids)).toArray();
      }
      return ids;
    } catch (org.sparsej.util.SparsejException e) {
      throw new ModelException(ModelException.Kind.INVALID_REQUEST, e.getMessage(), e);
    }
  }
}
