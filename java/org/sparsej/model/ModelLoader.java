package org.sparsej.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.sparsej.format.gguf.GgufModelReader;
import org.sparsej.format.hf.HfModelReader;
import org.sparsej.util.InputPaths;
import org.sparsej.util.SparsejException;

/**
 * Opens a model, choosing the reader from the path: a directory is a Hugging Face model (config.json +
 * safetensors), a .safetensors file stands for the Hugging Face directory it sits in, .gguf is GGUF and .bin is a
 * llama2.c checkpoint. Anything else is refused with one line saying what is accepted.
 */
public final class ModelLoader {
  /** The model layouts SparseJ reads. */
  public enum Format { HF, GGUF, LLAMA2C }

  private ModelLoader() {}

  public static LlamaModel load(Path path) {
    switch (detect(path)) {
      case HF: return HfModelReader.load(hfDirectory(path));
      case GGUF: return GgufModelReader.load(path);
      default: return Llama2cCheckpoint.load(path);
    }
  }

  /** The format of a model path, or a one-line error. */
  public static Format detect(Path path) {
    if (!Files.exists(path)) {
      throw new SparsejException(path + ": model file not found");
    }
    InputPaths.requireFileOrDirectory(path);
    if (Files.isDirectory(path)) {
      if (!Files.isRegularFile(path.resolve("config.json"))) {
        throw new SparsejException(path + ": a directory, but no config.json in it (expected a Hugging Face model "
            + "directory)");
      }
      return Format.HF;
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".safetensors")) {
      return Format.HF;
    }
    if (name.endsWith(".gguf")) {
      return Format.GGUF;
    }
    if (name.endsWith(".bin")) {
      return Format.LLAMA2C;
    }
    throw new SparsejException(path + ": unknown model format (expected a Hugging Face directory, a .safetensors "
        + "file inside one, a .gguf file or a llama2.c .bin checkpoint)");
  }

  /** The Hugging Face directory of a path: the path itself, or the directory a .safetensors file sits in. */
  public static Path hfDirectory(Path path) {
    if (Files.isDirectory(path)) {
      return path;
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent == null || !Files.isRegularFile(parent.resolve("config.json"))) {
      throw new SparsejException(path + ": a .safetensors file needs the config.json of its Hugging Face "
          + "directory beside it");
    }
    return parent;
  }
}
