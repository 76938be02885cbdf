package org.sparsej.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.sparsej.api.Generation;

/**
 * A LangChain4j {@link StreamingChatModel} answered by a SparseJ model: {@code chat} returns at once and the
 * handler receives the answer's text in order as it is decoded (on a thread of this model), then the whole
 * response with its token usage and finish reason, or the error.
 */
public final class SparsejStreamingChatModel extends SparsejModelBase implements StreamingChatModel {
  private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sparsej-langchain4j-stream");
    t.setDaemon(true);
    return t;
  });

  private SparsejStreamingChatModel(Builder b) {
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
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    Generation g;
    try {  // a bad request is reported to the handler, as a failure while decoding is
      g = model().startChat(Conversions.messages(request), Conversions.options(request.parameters()));
    } catch (RuntimeException e) {
      handler.onError(e);
      return;
    }
    handlers.execute(() -> {
      try (g) {
        for (String text = g.nextText(); text != null; text = g.nextText()) {
          handler.onPartialResponse(text);
        }
        handler.onCompleteResponse(Conversions.response(g.await(), defaults.modelName()));
      } catch (RuntimeException e) {
        handler.onError(e);
      }
    });
  }

  /** Stops the handler threads and closes the SparseJ model if this one loaded it. */
  @Override
  public void close() {
    handlers.shutdownNow();
    super.close();
  }

  public static final class Builder extends SparsejBuilder<Builder> {
    /** Loads the model if a path was given; throws {@link org.sparsej.api.ModelException} if it cannot. */
    public SparsejStreamingChatModel build() {
      return new SparsejStreamingChatModel(this);
    }
  }
}
