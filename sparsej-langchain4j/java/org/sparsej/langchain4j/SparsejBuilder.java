package org.sparsej.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import java.nio.file.Path;
import java.util.List;
import org.sparsej.api.Model;
import org.sparsej.api.ModelOptions;

/**
 * What every SparseJ LangChain4j model is built from: a model to load ({@link #modelPath}) or one already loaded
 * ({@link #model}, shared and left open), and the default generation parameters, which a request's own
 * parameters override.
 */
public abstract class SparsejBuilder<B extends SparsejBuilder<B>> {
  private Path modelPath;
  private Model model;
  private ModelOptions modelOptions = ModelOptions.defaults();
  private Double temperature = 0.0;
  private Double topP = 1.0;
  private Integer maxTokens = 256;
  private List<String> stop = List.of();

  /** Loads this model (HF directory, .gguf or llama2.c .bin) when built; the built model closes it. */
  public B modelPath(Path path) {
    this.modelPath = path;
    return self();
  }

  public B modelPath(String path) {
    return modelPath(Path.of(path));
  }

  /** Uses a loaded model (several LangChain4j models may share it); the caller closes it. */
  public B model(Model loaded) {
    this.model = loaded;
    return self();
  }

  /** "auto", "cpu", "java" or "cuda" for a model loaded from {@link #modelPath}. */
  public B backend(String name) {
    this.modelOptions = modelOptions.withBackend(name);
    return self();
  }

  /** Every load option (threads, slots, chat template...) for a model loaded from {@link #modelPath}. */
  public B modelOptions(ModelOptions options) {
    this.modelOptions = options;
    return self();
  }

  /** Default temperature (0 = greedy, the default). */
  public B temperature(Double t) {
    this.temperature = t;
    return self();
  }

  /** Default nucleus-sampling cut (1 = off, the default). */
  public B topP(Double p) {
    this.topP = p;
    return self();
  }

  /** Default most tokens per answer (256 unless set; null = the rest of the context). */
  public B maxTokens(Integer n) {
    this.maxTokens = n;
    return self();
  }

  /** Default stop strings (at most 4), not included in the answer. */
  public B stop(List<String> strings) {
    this.stop = List.copyOf(strings);
    return self();
  }

  public B stop(String... strings) {
    return stop(List.of(strings));
  }

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** The model to serve: the given one, or loaded now (a {@link org.sparsej.api.ModelException} if it cannot be). */
  LoadedModel loadModel() {
    if ((model == null) == (modelPath == null)) {
      throw new IllegalStateException("give exactly one of modelPath(...) and model(...)");
    }
    return model != null ? new LoadedModel(model, false) : new LoadedModel(Model.load(modelPath, modelOptions), true);
  }

  /** The builder's defaults as LangChain4j request parameters, named after the model. */
  ChatRequestParameters defaults(Model m) {
    return ChatRequestParameters.builder().modelName(m.name()).temperature(temperature).topP(topP)
        .maxOutputTokens(maxTokens).stopSequences(stop).build();
  }

  /** A model and whether the LangChain4j model owns it (loaded it, so closes it). */
  record LoadedModel(Model model, boolean owned) implements AutoCloseable {
    @Override
    public void close() {
      if (owned) {
        model.close();
      }
    }
  }
}
