package org.sparsej.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.TokenizerLoader;
import org.sparsej.util.SparsejException;
import picocli.CommandLine.Option;

/** -m MODEL and -z TOKENIZER. */
public final class ModelOptions {
  @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL",
      description = "Model file (llama2.c .bin checkpoint).")
  Path model;

  @Option(names = {"-z", "--tokenizer"}, paramLabel = "FILE",
      description = "Tokenizer (llama2.c tokenizer.bin; default: tokenizer.bin beside the model).")
  Path tokenizer;

  LlamaModel loadModel() {
    return ModelLoader.load(model);
  }

  Tokenizer loadTokenizer(LlamaModel loaded) {
    Path file = tokenizer;
    if (file == null) {
      Path parent = model.toAbsolutePath().getParent();
      file = parent.resolve("tokenizer.bin");
      if (!Files.exists(file)) {
        throw new SparsejException("no tokenizer given and none beside the model (" + file + "): use -z FILE");
      }
    }
    return TokenizerLoader.load(file, loaded.config().vocabSize());
  }
}
