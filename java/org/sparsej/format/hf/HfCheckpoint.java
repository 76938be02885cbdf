package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsej.format.safetensors.SafetensorsFile;
import org.sparsej.util.JsonFiles;
import org.sparsej.util.SparsejException;

/**
 * The safetensors of a Hugging Face directory: model.safetensors, or the shards listed in
 * model.safetensors.index.json ("weight_map": tensor name to shard file). Shard names must be plain file names in
 * the directory: an index cannot send the reader anywhere else.
 */
public final class HfCheckpoint implements AutoCloseable {
  public static final String SINGLE = "model.safetensors";
  public static final String INDEX = "model.safetensors.index.json";

  private final Path dir;
  private final List<SafetensorsFile> files = new ArrayList<>();
  private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();

  private HfCheckpoint(Path dir) {
    this.dir = dir;
  }

  public static HfCheckpoint open(Path dir) {
    HfCheckpoint c = new HfCheckpoint(dir);
    try {
      c.openFiles();
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void openFiles() {
    Path index = dir.resolve(INDEX);
    Path single = dir.resolve(SINGLE);
    if (Files.isRegularFile(index)) {
      ObjectNode json = JsonFiles.readObject(index);
      JsonNode map = json.get("weight_map");
      if (map == null || !map.isObject()) {
        throw new SparsejException(index + ": missing \"weight_map\" object");
      }
      Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String shard = e.getValue().asText("");
        // A NUL cannot be in a path (Path.resolve would throw): refused with the other non-file names.
        if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
            || shard.indexOf('\0') >= 0 || shard.equals("..") || shard.equals(".")) {
          throw new SparsejException(index + ": tensor '" + e.getKey() + "' points to '" + e.getValue()
              + "', which is not a file name in this directory");
        }
        SafetensorsFile file = shards.get(shard);
        if (file == null) {
          Path p = dir.resolve(shard);
          if (!Files.isRegularFile(p)) {
            throw new SparsejException(index + ": shard " + shard + " is missing");
          }
          file = SafetensorsFile.open(p);
          files.add(file);
          shards.put(shard, file);
        }
        if (file.entry(e.getKey()) == null) {
          throw new SparsejException(file.path() + ": tensor '" + e.getKey() + "' listed in " + INDEX
              + " is missing");
        }
        byTensor.put(e.getKey(), file);
      }
    } else if (Files.isRegularFile(single)) {
      SafetensorsFile file = SafetensorsFile.open(single);
      files.add(file);
      for (String name : file.entries().keySet()) {
        byTensor.put(name, file);
      }
    } else if (Files.isRegularFile(dir.resolve("pytorch_model.bin"))) {
      throw new SparsejException(dir + ": has only pytorch_model.bin (a pickle); SparseJ reads safetensors "
          + "(convert with transformers' save_pretrained(safe_serialization=True))");
    } else {
      throw new SparsejException(dir + ": no " + SINGLE + " or " + INDEX);
    }
  }

  public Path dir() {
    return dir;
  }

  public boolean has(String name) {
    return byTensor.containsKey(name);
  }

  /** The file holding a tensor, or null. */
  public SafetensorsFile fileOf(String name) {
    return byTensor.get(name);
  }

  public SafetensorsFile.Entry entry(String name) {
    SafetensorsFile f = byTensor.get(name);
    return f == null ? null : f.entry(name);
  }

  /** The entry of a tensor that must exist, with its shape checked against what config.json implies. */
  public SafetensorsFile.Entry require(String name, long... expectedShape) {
    SafetensorsFile f = byTensor.get(name);
    if (f == null) {
      throw new SparsejException(dir + ": tensor '" + name + "' is missing");
    }
    SafetensorsFile.Entry e = f.entry(name);
    if (expectedShape != null && !java.util.Arrays.equals(e.shape(), expectedShape)) {
      throw new SparsejException(f.path() + ": tensor '" + name + "' has shape " + e.shapeString()
          + ", config.json implies " + java.util.Arrays.toString(expectedShape));
    }
    return e;
  }

  public Iterable<String> names() {
    return byTensor.keySet();
  }

  @Override
  public void close() {
    for (SafetensorsFile f : files) {
      f.close();
    }
  }
}
