package org.sparsej.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import org.sparsej.api.Model;

/**
 * What the three LangChain4j models share: the SparseJ model (owned when the builder loaded it) and the request
 * defaults the builder set.
 */
public abstract class SparsejModelBase implements AutoCloseable {
  private final SparsejBuilder.LoadedModel loaded;
  /** The builder's temperature, top-p, max tokens and stop strings, and the model's name. */
  protected final ChatRequestParameters defaults;

  SparsejModelBase(SparsejBuilder<?> b) {
    this.loaded = b.loadModel();
    this.defaults = b.defaults(loaded.model());
  }

  /** The SparseJ model behind it (to count tokens, say). */
  public Model model() {
    return loaded.model();
  }

  /** Closes the SparseJ model if this one loaded it. */
  @Override
  public void close() {
    loaded.close();
  }
}
