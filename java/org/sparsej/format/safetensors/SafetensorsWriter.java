package org.sparsej.format.safetensors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes one .safetensors file: tensors are laid out in the order added, the header is padded with spaces to a
 * multiple of 8 bytes (as the reference implementation does, so the data stays aligned), and each tensor's bytes
 * are produced only when written, so a model larger than memory streams through.
 */
public final class SafetensorsWriter {
  private record Item(String name, StDType dtype, long[] shape, long bytes, Supplier<ByteBuffer> data) {}

  private final List<Item> items = new ArrayList<>();
  private long dataBytes;

  /** Adds a tensor; {@code data} must supply exactly the tensor's bytes (little-endian) when called. */
  public void add(String name, StDType dtype, long[] shape, Supplier<ByteBuffer> data) {
    long n = dtype.bytes();
    for (long d : shape) {
      n *= d;
    }
    items.add(new Item(name, dtype, shape.clone(), n, data));
    dataBytes += n;
  }

  public long dataBytes() {
    return dataBytes;
  }

  public boolean isEmpty() {
    return items.isEmpty();
  }

  public List<String> names() {
    return items.stream().map(Item::name).toList();
  }

  public void write(Path file, Map<String, String> metadata) throws IOException {
    ObjectNode header = JsonNodeFactory.instance.objectNode();
    ObjectNode meta = header.putObject("__metadata__");
    metadata.forEach(meta::put);
    long offset = 0;
    for (Item it : items) {
      ObjectNode e = header.putObject(it.name());
      e.put("dtype", it.dtype().name());
      ArrayNode shape = e.putArray("shape");
      for (long d : it.shape()) {
        shape.add(d);
      }
      ArrayNode offsets = e.putArray("data_offsets");
      offsets.add(offset).add(offset + it.bytes());
      offset += it.bytes();
    }
    byte[] json = SafetensorsFile.JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeFully(ch, head.flip());
      for (Item it : items) {
        ByteBuffer data = it.data().get().duplicate();
        data.clear();
        if (data.remaining() != it.bytes()) {
          throw new IllegalStateException(it.name() + ": supplied " + data.remaining() + " bytes, expected "
              + it.bytes());
        }
        writeFully(ch, data);
      }
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
