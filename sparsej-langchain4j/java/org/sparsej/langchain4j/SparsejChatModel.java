package org.sparsej.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.sparsej.api.Completion;

/**
 * A LangChain4j {@link ChatModel} answered by a SparseJ model, formatted with the model's chat template. Many
 * threads may call it at once: their requests are decoded together by the model's batching engine.
 *
 * <pre>{@code
 * try (SparsejChatModel chat = SparsejChatModel.builder().modelPath("model.gguf").maxTokens(64).build()) {
 *   String answer = chat.chat("Who art thou?");
 * }
 * }</pre>
 */
public final class SparsejChatModel extends SparsejModelBase implements ChatModel {
  private SparsejChatModel(Builder b) {
    super(b);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public ChatRequestParameters defaultRequestParameters() {
    return defaults;
  }

  @Override
  public ChatResponse doChat(ChatRequest request) {
    Completion c = model().chat(Conversions.messages(request), Conversions.options(request.parameters()));
    return Conversions.response(c, defaults.modelName());
  }

  public static final class Builder extends SparsejBuilder<Builder> {
    /** Loads the model if a path was given; throws {@link org.sparsej.api.ModelException} if it cannot. */
    public SparsejChatModel build() {
      return new SparsejChatModel(this);
    }
  }
}
