package org.sparsej.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;
import org.sparsej.api.Completion;
import org.sparsej.api.Model;

/** A LangChain4j {@link LanguageModel}: plain text continuation (no chat template) by a SparseJ model. */
public final class SparsejLanguageModel implements LanguageModel, AutoCloseable {
  private final SparsejBuilder.LoadedModel loaded;
  private final ChatRequestParameters defaults;

  private SparsejLanguageModel(Builder b) {
    this.loaded = b.loadModel();
    this.defaults = b.defaults(loaded.model());
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The SparseJ model behind it. */
  public Model model() {
    return loaded.model();
  }

  @Override
  public Response<String> generate(String prompt) {
    Completion c = model().generate(prompt, Conversions.options(defaults));
    return Response.from(c.text(), Conversions.usage(c), Conversions.finishReason(c));
  }

  /** Closes the SparseJ model if this one loaded it. */
  @Override
  public void close() {
    loaded.close();
  }

  public static final class Builder extends SparsejBuilder<Builder> {
    /** Loads the model if a path was given; throws {@link org.sparsej.api.ModelException} if it cannot. */
    public SparsejLanguageModel build() {
      return new SparsejLanguageModel(this);
    }
  }
}
