package org.sparsej.format;

import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsej.format.gguf.GgufFile;
import org.sparsej.format.gguf.GgufVocabulary;
import org.sparsej.model.ModelLoader;
import org.sparsej.tokenizer.Tokenizer;
import org.sparsej.tokenizer.SentencePieceModelFile;
import org.sparsej.tokenizer.TokenizerJson;
import org.sparsej.tokenizer.TokenizerLoader;
import org.sparsej.tokenizer.Vocabularies;
import org.sparsej.tokenizer.Vocabulary;
import org.sparsej.util.InputPaths;
import org.sparsej.util.SparsejException;

/**
 * The tokenizer that goes with a model path: tokenizer.json in a Hugging Face directory, the one embedded in a
 * GGUF file, tokenizer.bin beside a llama2.c .bin; or an explicit file (tokenizer.json, .gguf, SentencePiece's
 * tokenizer.model or tokenizer.bin). A Hugging Face directory without tokenizer.json falls back to tokenizer.model.
 */
public final class ModelTokenizers {
  private ModelTokenizers() {}

  public static Tokenizer forModel(Path model, int vocabSize) {
    return fromFile(defaultFile(model), vocabSize);
  }

  /** A tokenizer file by its kind: *.json, *.gguf, *.model (SentencePiece), else llama2.c tokenizer.bin. */
  public static Tokenizer fromFile(Path file, int vocabSize) {
    String name = checkedName(file);
    Tokenizer t;
    if (name.endsWith(".json")) {
      t = TokenizerJson.load(file);
    } else if (name.endsWith(".gguf")) {
      try (GgufFile g = GgufFile.open(file)) {
        t = GgufVocabulary.tokenizer(g);
      }
    } else if (name.endsWith(".model")) {
      t = SentencePieceModelFile.load(file);
    } else {
      return TokenizerLoader.load(file, vocabSize);
    }
    if (t.vocabSize() != vocabSize) {
      throw new SparsejException(file + ": tokenizer has " + t.vocabSize() + " tokens, the model " + vocabSize);
    }
    return t;
  }

  /** The model's vocabulary (for writing it into another format), or null if the model has no tokenizer file. */
  public static Vocabulary vocabularyOrNull(Path model, int vocabSize) {
    Path file = defaultFileOrNull(model);
    return file == null ? null : vocabularyFromFile(file, vocabSize);
  }

  public static Vocabulary vocabularyFromFile(Path file, int vocabSize) {
    String name = checkedName(file);
    if (name.endsWith(".json")) {
      return TokenizerJson.vocabulary(file);
    }
    if (name.endsWith(".gguf")) {
      try (GgufFile g = GgufFile.open(file)) {
        return GgufVocabulary.read(g);
      }
    }
    if (name.endsWith(".model")) {
      return SentencePieceModelFile.read(file);
    }
    return Vocabularies.llama2c(file, vocabSize);
  }

  /** The lower-case file name of a tokenizer file that exists, is a regular file and of a kind SparseJ reads. */
  private static String checkedName(Path file) {
    InputPaths.requireRegularFile(file);
    return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
  }

  static Path defaultFile(Path model) {
    Path f = defaultFileOrNull(model);
    if (f == null) {
      throw new SparsejException(model + ": no tokenizer found with the model (expected " + expected(model)
          + "): pass one with -z FILE");
    }
    return f;
  }

  private static Path defaultFileOrNull(Path model) {
    switch (ModelLoader.detect(model)) {
      case HF: {
        Path dir = ModelLoader.hfDirectory(model);
        for (String name : new String[] {"tokenizer.json", "tokenizer.model"}) {
          if (Files.isRegularFile(dir.resolve(name))) {
            return dir.resolve(name);
          }
        }
        return null;
      }
      case GGUF:
        try (GgufFile g = GgufFile.open(model)) {
          return g.metadata().containsKey("tokenizer.ggml.model") ? model : null;
        }
      default: {
        Path f = model.toAbsolutePath().getParent().resolve("tokenizer.bin");
        return Files.isRegularFile(f) ? f : null;
      }
    }
  }

  private static String expected(Path model) {
    switch (ModelLoader.detect(model)) {
      case HF: return "tokenizer.json or tokenizer.model in the directory";
      case GGUF: return "tokenizer.ggml.* metadata in the file";
      default: return "tokenizer.bin beside it";
    }
  }
}
