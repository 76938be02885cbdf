package org.sparsej.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsej.format.AtomicOutput;
import org.sparsej.util.SparsejException;

/**
 * A training run's whole state in one directory, written atomically (a killed save leaves the previous
 * checkpoint whole): parameters.bin (every parameter's F32 values and its AdamW moments, little-endian),
 * state.json (step, elapsed time, the optimizer's step count, the options the run was started with) and
 * progress.csv (the log so far). The data's random state is the step itself (see {@link TrainingData#batch}).
 */
public final class Checkpoint {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int MAGIC = 0x534a434b;  // "SJCK"
  private static final int VERSION = 1;

  /** What besides the tensors a run resumes from. */
  public record State(long step, double elapsedSeconds, Map<String, String> options, String csv) {}

  private Checkpoint() {}

  /** Replaces dir with the current parameters, optimizer moments and state. */
  public static void save(Path dir, List<Parameter> parameters, AdamW adam, State state) {
    AtomicOutput.directory(dir, true, tmp -> {
      writeTensors(tmp.resolve("parameters.bin"), parameters, adam);
      ObjectNode root = JSON.createObjectNode();
      root.put("format", "sparsej-finetune-checkpoint");
      root.put("version", VERSION);
      root.put("step", state.step());
      root.put("optimizer_steps", adam.steps());
      root.put("elapsed_seconds", state.elapsedSeconds());
      ObjectNode options = root.putObject("options");
      state.options().forEach(options::put);
      Files.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(root) + "\n");
      Files.writeString(tmp.resolve("progress.csv"), state.csv());
    });
  }

  /**
   * Restores parameters and optimizer moments from dir (they must be those of the same model: names, sizes and
   * trainable counts are checked) and returns the state.
   */
  public static State load(Path dir, List<Parameter> parameters, AdamW adam) {
    try {
      JsonNode root = JSON.readTree(Files.readString(dir.resolve("state.json")));
      if (!"sparsej-finetune-checkpoint".equals(root.path("format").asText())
          || root.path("version").asInt() != VERSION) {
        throw new SparsejException(dir + ": not a sparsej finetune checkpoint (version " + VERSION + ")");
      }
      readTensors(dir, dir.resolve("parameters.bin"), parameters, adam);
      adam.restoreSteps(root.path("optimizer_steps").asLong());
      Map<String, String> options = new LinkedHashMap<>();
      root.path("options").fields().forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
      String csv = Files.exists(dir.resolve("progress.csv")) ? Files.readString(dir.resolve("progress.csv")) : "";
      return new State(root.path("step").asLong(), root.path("elapsed_seconds").asDouble(), options, csv);
    } catch (NoSuchFileException e) {
      throw new SparsejException(dir + ": not a checkpoint (" + e.getFile() + " missing)");
    } catch (IOException e) {
      throw new SparsejException(dir + ": cannot read the checkpoint: " + e.getMessage());
    }
  }

  /** The options a checkpoint's run was started with, read before the model is set up to resume it. */
  public static Map<String, String> options(Path dir) {
    try {
      JsonNode root = JSON.readTree(Files.readString(dir.resolve("state.json")));
      Map<String, String> options = new LinkedHashMap<>();
      root.path("options").fields().forEachRemaining(e -> options.put(e.getKey(), e.getValue().asText()));
      return options;
    } catch (NoSuchFileException e) {
      throw new SparsejException(dir + ": not a checkpoint (" + e.getFile() + " missing)");
    } catch (IOException e) {
      throw new SparsejException(dir + ": cannot read the checkpoint: " + e.getMessage());
    }
  }

  private static void writeTensors(Path file, List<Parameter> parameters, AdamW adam) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      header.putInt(MAGIC).putInt(VERSION).putInt(parameters.size()).flip();
      writeFully(ch, header);
      for (int i = 0; i < parameters.size(); i++) {
        Parameter p = parameters.get(i);
        byte[] name = p.name().getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(12 + name.length).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(name.length).put(name).putInt(p.size()).putInt(p.trainable()).flip();
        writeFully(ch, h);
        writeFloats(ch, p.value());
        writeFloats(ch, adam.firstMoment(i));
        writeFloats(ch, adam.secondMoment(i));
      }
    }
  }

  private static void readTensors(Path dir, Path file, List<Parameter> parameters, AdamW adam) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = read(ch, 12, dir);
      if (header.getInt() != MAGIC || header.getInt() != VERSION) {
        throw new SparsejException(dir + ": parameters.bin is not a checkpoint's");
      }
      int count = header.getInt();
      if (count != parameters.size()) {
        throw new SparsejException(dir + ": a checkpoint of " + count + " tensors, this model has "
            + parameters.size());
      }
      for (int i = 0; i < count; i++) {
        Parameter p = parameters.get(i);
        int nameLength = read(ch, 4, dir).getInt();
        if (nameLength < 0 || nameLength > 4096) {
          throw new SparsejException(dir + ": parameters.bin is damaged");
        }
        byte[] name = new byte[nameLength];
        read(ch, nameLength, dir).get(name);
        ByteBuffer sizes = read(ch, 8, dir);
        int size = sizes.getInt();
        int trainable = sizes.getInt();
        String n = new String(name, StandardCharsets.UTF_8);
        if (!n.equals(p.name()) || size != p.size() || trainable != p.trainable()) {
          throw new SparsejException(String.format("%s: tensor %d is %s (%d values, %d trained), this model's is "
              + "%s (%d, %d): the checkpoint is of another model or mask", dir, i, n, size, trainable, p.name(),
              p.size(), p.trainable()));
        }
        readFloats(ch, p.value(), dir);
        readFloats(ch, adam.firstMoment(i), dir);
        readFloats(ch, adam.secondMoment(i), dir);
      }
      if (ch.position() != ch.size()) {
        throw new SparsejException(dir + ": parameters.bin has trailing bytes");
      }
    }
  }

  private static void writeFloats(FileChannel ch, float[] values) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    for (int off = 0; off < values.length; ) {
      int n = Math.min(values.length - off, b.capacity() / 4);
      b.clear();
      b.asFloatBuffer().put(values, off, n);
      b.limit(4 * n);
      writeFully(ch, b);
      off += n;
    }
  }

  private static void readFloats(FileChannel ch, float[] values, Path dir) throws IOException {
    for (int off = 0; off < values.length; ) {
      int n = Math.min(values.length - off, 1 << 18);
      read(ch, 4 * n, dir).asFloatBuffer().get(values, off, n);
      off += n;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static ByteBuffer read(FileChannel ch, int bytes, Path dir) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new SparsejException(dir + ": parameters.bin is truncated");
      }
    }
    return b.flip();
  }
}
