package org.sparsej.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.sparsej.util.SparsejException;

/** Opens a model file, choosing the reader from the path. */
public final class ModelLoader {
  private ModelLoader() {}

  public static LlamaModel load(Path path) {
    if (!Files.exists(path)) {
      throw new SparsejException("model file not found: " + path);
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isRegularFile(path) && name.endsWith(".bin")) {
      return Llama2cCheckpoint.load(path);
    }
    throw new SparsejException(path + ": unsupported model format (this version reads llama2.c .bin checkpoints)");
  }
}
