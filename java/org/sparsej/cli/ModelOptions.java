package org.sparsej.cli;

import java.nio.file.Path;
import org.sparsej.format.ModelTokenizers;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import picocli.CommandLine.Option;

/** -m MODEL and -z TOKENIZER. */
public final class ModelOptions {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
      description = "Model: a Hugging Face directory (or a .safetensors file in one), a .gguf file or a llama2.c "
          + ".bin checkpoint.")
  Path model;

  @Option(names = {"-z", "--tokenizer"}, paramLabel = "FILE",
      description = "Tokenizer: tokenizer.json, a .gguf file, SentencePiece tokenizer.model or llama2.c "
          + "tokenizer.bin (default: the model's own: tokenizer.json or tokenizer.model in its directory, the one "
          + "embedded in the GGUF, tokenizer.bin beside a .bin).")
  Path tokenizer;

  /** The API's load options for these flags and the backend flags (-t checked here). */
  org.sparsej.api.ModelOptions apiOptions(BackendOptions backend) {
    backend.requireAvailable();
    return org.sparsej.api.ModelOptions.defaults().withBackend(backend.backend).withThreads(backend.threads())
        .withTokenizer(tokenizer);
  }

  LlamaModel loadModel() {
    return ModelLoader.load(model);
  }

  Tokenizer loadTokenizer(LlamaModel loaded) {
    int vocab = loaded.config().vocabSize();
    return tokenizer != null ? ModelTokenizers.fromFile(tokenizer, vocab) : ModelTokenizers.forModel(model, vocab);
  }
}
