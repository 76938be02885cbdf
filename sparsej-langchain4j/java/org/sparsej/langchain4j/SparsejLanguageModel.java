package org.sparsej.langchain4j;

import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;
import org.sparsej.api.Completion;

/** A LangChain4j {@link LanguageModel}: plain text continuation (no chat template) by a SparseJ model. */
public final class SparsejLanguageModel extends SparsejModelBase implements LanguageModel {
  private SparsejLanguageModel(Builder b) {
    super(b);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public Response<String> generate(String prompt) {
    Completion c = model().generate(prompt, Conversions.options(defaults));
    return Response.from(c.text(), Conversions.usage(c), Conversions.finishReason(c));
  }

  public static final class Builder extends SparsejBuilder<Builder> {
    /** Loads the model if a path was given; throws {@link org.sparsej.api.ModelException} if it cannot. */
    public SparsejLanguageModel build() {
      return new SparsejLanguageModel(this);
    }
  }
}
