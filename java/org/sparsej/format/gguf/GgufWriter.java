package org.sparsej.format.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Writes a GGUF v3 file: metadata key/values, tensor infos, then each tensor's data at a multiple of
 * general.alignment (32). Tensor bytes are produced only when written, so models larger than memory stream through.
 */
public final class GgufWriter {
  public static final int ALIGNMENT = 32;

  private interface Value {
    void write(Out out);
  }

  private record Kv(String key, int type, Value value) {}

  private record Item(String name, long[] dims, GgmlType type, long bytes, Supplier<ByteBuffer> data) {}

  private final List<Kv> kvs = new ArrayList<>();
  private final List<Item> tensors = new ArrayList<>();

  public GgufWriter putString(String key, String v) {
    kvs.add(new Kv(key, 8, o -> o.string(v)));
    return this;
  }

  public GgufWriter putU32(String key, long v) {
    kvs.add(new Kv(key, 4, o -> o.i32((int) v)));
    return this;
  }

  public GgufWriter putF32(String key, float v) {
    kvs.add(new Kv(key, 6, o -> o.i32(Float.floatToRawIntBits(v))));
    return this;
  }

  public GgufWriter putBool(String key, boolean v) {
    kvs.add(new Kv(key, 7, o -> o.u8(v ? 1 : 0)));
    return this;
  }

  public GgufWriter putStrings(String key, List<String> v) {
    kvs.add(new Kv(key, 9, o -> {
      o.i32(8);
      o.i64(v.size());
      v.forEach(o::string);
    }));
    return this;
  }

  public GgufWriter putF32s(String key, float[] v) {
    kvs.add(new Kv(key, 9, o -> {
      o.i32(6);
      o.i64(v.length);
      for (float f : v) {
        o.i32(Float.floatToRawIntBits(f));
      }
    }));
    return this;
  }

  public GgufWriter putI32s(String key, int[] v) {
    kvs.add(new Kv(key, 9, o -> {
      o.i32(5);
      o.i64(v.length);
      for (int i : v) {
        o.i32(i);
      }
    }));
    return this;
  }

  /** A tensor with dims innermost first (ne[0] = columns), as GGUF stores them. */
  public GgufWriter tensor(String name, long[] dims, GgmlType type, Supplier<ByteBuffer> data) {
    long rows = 1;
    for (int i = 1; i < dims.length; i++) {
      rows *= dims[i];
    }
    long bytes = rows * (dims[0] / type.blockSize()) * type.blockBytes();
    tensors.add(new Item(name, dims.clone(), type, bytes, data));
    return this;
  }

  public void write(Path file) throws IOException {
    Out out = new Out();
    out.i32(GgufFile.MAGIC);
    out.i32(3);
    out.i64(tensors.size());
    out.i64(kvs.size() + 1);
    out.string("general.alignment");
    out.i32(4);
    out.i32(ALIGNMENT);
    for (Kv kv : kvs) {
      out.string(kv.key());
      out.i32(kv.type());
      kv.value().write(out);
    }
    long offset = 0;
    for (Item t : tensors) {
      out.string(t.name());
      out.i32(t.dims().length);
      for (long d : t.dims()) {
        out.i64(d);
      }
      out.i32(t.type().id());
      out.i64(offset);
      offset = align(offset + t.bytes());
    }
    out.pad();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeFully(ch, out.buffer());
      long written = 0;
      for (Item t : tensors) {
        ByteBuffer data = t.data().get().duplicate();
        data.clear();
        if (data.remaining() != t.bytes()) {
          throw new IllegalStateException(t.name() + ": supplied " + data.remaining() + " bytes, expected "
              + t.bytes());
        }
        writeFully(ch, data);
        written += t.bytes();
        long padding = align(written) - written;
        writeFully(ch, ByteBuffer.allocate((int) padding));
        written += padding;
      }
    }
  }

  private static long align(long v) {
    return (v + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /** A growing little-endian header buffer. */
  private static final class Out {
    private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    private void ensure(int n) {
      if (buf.remaining() < n) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
            .order(ByteOrder.LITTLE_ENDIAN);
        bigger.put(buf.flip());
        buf = bigger;
      }
    }

    void u8(int v) {
      ensure(1);
      buf.put((byte) v);
    }

    void i32(int v) {
      ensure(4);
      buf.putInt(v);
    }

    void i64(long v) {
      ensure(8);
      buf.putLong(v);
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      i64(b.length);
      ensure(b.length);
      buf.put(b);
    }

    void pad() {
      while (buf.position() % ALIGNMENT != 0) {
        u8(0);
      }
    }

    ByteBuffer buffer() {
      return buf.duplicate().flip();
    }
  }
}
