package org.sparsej.format.gguf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsej.format.BoundedFile;

/**
 * A GGUF file (versions 2 and 3): magic "GGUF", version, tensor count, metadata count, the metadata key/values,
 * the tensor infos (name, dims innermost first, ggml type, offset), padding to general.alignment, then the data.
 * Everything is parsed through bounds checks against the file size; counts and lengths are capped by the bytes
 * that remain, so a hostile header cannot make the reader allocate or read beyond the file.
 */
public final class GgufFile implements AutoCloseable {
  public static final int MAGIC = 0x46554747;  // "GGUF" little-endian
  static final int MAX_DIMS = 4;
  static final int MAX_ARRAY_DEPTH = 2;

  /** One tensor: dims innermost first (ne[0] = columns), absolute file offset. */
  public record TensorInfo(String name, long[] dims, GgmlType type, long offset, long byteSize) {
    public long elementCount() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }

    public String dimsString() {
      return java.util.Arrays.toString(dims);
    }
  }

  private final BoundedFile file;
  private final int version;
  private final Map<String, Object> metadata;
  private final Map<String, TensorInfo> tensors;
  private final long dataStart;
  private final int alignment;

  private GgufFile(BoundedFile file, int version, Map<String, Object> metadata, Map<String, TensorInfo> tensors,
                   long dataStart, int alignment) {
    this.file = file;
    this.version = version;
    this.metadata = metadata;
    this.tensors = tensors;
    this.dataStart = dataStart;
    this.alignment = alignment;
  }

  public static GgufFile open(Path path) {
    BoundedFile file = BoundedFile.open(path);
    try {
      return new Parser(file).parse();
    } catch (RuntimeException e) {
      file.close();
      throw e;
    }
  }

  public Path path() {
    return file.path();
  }

  public BoundedFile file() {
    return file;
  }

  public int version() {
    return version;
  }

  public int alignment() {
    return alignment;
  }

  public long dataStart() {
    return dataStart;
  }

  /** Metadata values: String, Long (every integer type), Double (f32/f64), Boolean, or a {@link GgufArray}. */
  public Map<String, Object> metadata() {
    return metadata;
  }

  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  public TensorInfo tensor(String name) {
    return tensors.get(name);
  }

  /**
   * The raw bytes of a tensor, memory-mapped, or copied when general.alignment leaves them misaligned for their
   * elements (quantized blocks start with a 2-byte scale).
   */
  public ByteBuffer map(TensorInfo t) {
    int element = t.type().blockSize() == 1 ? Math.min(8, t.type().blockBytes()) : 2;
    return file.mapAligned(t.offset(), t.byteSize(), element, "tensor '" + t.name() + "'");
  }

  @Override
  public void close() {
    file.close();
  }

  /**
   * A field's name in error messages ("value of 'KEY'"), spelled out only when a check fails: the parser reads
   * every element of every metadata array, and building each element's name up front cost a string each.
   */
  private record Quoted(String label, String key) {
    @Override
    public String toString() {
      return label + " '" + key + "'";
    }
  }

  /** "length of FIELD", spelled out only when a check fails. */
  private record LengthOf(Object what) {
    @Override
    public String toString() {
      return "length of " + what;
    }
  }

  /** Reads the header sequentially, one bounded read at a time. */
  private static final class Parser {
    private static final int WINDOW = 1 << 20;
    private final BoundedFile file;
    private ByteBuffer window = ByteBuffer.allocate(0);
    private long windowStart;
    private long pos;

    Parser(BoundedFile file) {
      this.file = file;
    }

    GgufFile parse() {
      if (file.size() < 24) {
        throw file.error("truncated: " + file.size() + " bytes, a GGUF header needs at least 24");
      }
      int magic = i32("magic");
      if (magic != MAGIC) {
        throw file.error("not a GGUF file (bad magic)");
      }
      int version = i32("version");
      if (version != 2 && version != 3) {
        throw file.error("GGUF version " + Integer.toUnsignedString(version) + " is not supported (2 and 3 are"
            + (Integer.reverseBytes(version) == 3 ? "; this looks like a big-endian file" : "") + ")");
      }
      long nTensors = u64("tensor count");
      long nKv = u64("metadata count");
      // Each metadata entry takes at least 8+1+4+1 bytes, each tensor info at least 8+1+4+8+4+8.
      if (nKv < 0 || nKv > remaining() / 14) {
        throw file.error("metadata count " + Long.toUnsignedString(nKv) + " is beyond what the file can hold");
      }
      if (nTensors < 0 || nTensors > remaining() / 33) {
        throw file.error("tensor count " + Long.toUnsignedString(nTensors) + " is beyond what the file can hold");
      }
      Map<String, Object> metadata = new LinkedHashMap<>();
      for (long i = 0; i < nKv; i++) {
        String key = string("metadata key " + i);
        int type = i32("type of '" + key + "'");
        Object value = value(key, type, 0);
        if (metadata.put(key, value) != null) {
          throw file.error("metadata key '" + key + "' appears twice");
        }
      }
      int alignment = 32;
      Object a = metadata.get("general.alignment");
      if (a != null) {
        if (!(a instanceof Long) || (Long) a <= 0 || (Long) a > (1 << 20) || Long.bitCount((Long) a) != 1) {
          throw file.error("general.alignment " + a + " is not a power of two");
        }
        alignment = (int) (long) (Long) a;
      }
      List<long[]> rawInfos = new ArrayList<>();
      List<String> names = new ArrayList<>();
      List<GgmlType> types = new ArrayList<>();
      for (long i = 0; i < nTensors; i++) {
        String name = string("tensor name " + i);
        int nDims = i32("dimension count of '" + name + "'");
        if (nDims < 1 || nDims > MAX_DIMS) {
          throw file.error("tensor '" + name + "' has " + nDims + " dimensions (1.." + MAX_DIMS + " allowed)");
        }
        long[] dims = new long[nDims];
        for (int d = 0; d < nDims; d++) {
          dims[d] = u64("dimension of '" + name + "'");
          if (dims[d] <= 0 || dims[d] > (1L << 40)) {
            throw file.error("tensor '" + name + "' has dimension " + Long.toUnsignedString(dims[d]));
          }
        }
        long typeId = i32("type of '" + name + "'") & 0xffffffffL;
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) {
          throw file.error("tensor '" + name + "' has unknown ggml type " + typeId);
        }
        long offset = u64("offset of '" + name + "'");
        names.add(name);
        types.add(type);
        long[] entry = new long[dims.length + 1];
        System.arraycopy(dims, 0, entry, 0, dims.length);
        entry[dims.length] = offset;
        rawInfos.add(entry);
      }
      long dataStart = (pos + alignment - 1) / alignment * alignment;
      if (dataStart > file.size()) {
        throw file.error("truncated: the tensor data would start at " + dataStart + ", the file has "
            + file.size() + " bytes");
      }
      Map<String, TensorInfo> tensors = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        long[] e = rawInfos.get(i);
        long[] dims = java.util.Arrays.copyOf(e, e.length - 1);
        long offset = e[e.length - 1];
        TensorInfo t = info(names.get(i), dims, types.get(i), offset, dataStart, alignment);
        if (tensors.put(t.name(), t) != null) {
          throw file.error("tensor '" + t.name() + "' appears twice");
        }
      }
      List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
      byOffset.sort(Comparator.comparingLong(TensorInfo::offset));
      for (int i = 1; i < byOffset.size(); i++) {
        TensorInfo x = byOffset.get(i - 1);
        TensorInfo y = byOffset.get(i);
        if (y.offset() < x.offset() + x.byteSize()) {
          throw file.error("tensors '" + x.name() + "' and '" + y.name() + "' overlap");
        }
      }
      return new GgufFile(file, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors),
          dataStart, alignment);
    }

    private TensorInfo info(String name, long[] dims, GgmlType type, long offset, long dataStart, int alignment) {
      if (dims[0] % type.blockSize() != 0) {
        throw file.error("tensor '" + name + "' of type " + type + " has " + dims[0] + " columns, not a multiple of "
            + "its block size " + type.blockSize());
      }
      long bytes;
      try {
        long rows = 1;
        for (int d = 1; d < dims.length; d++) {
          rows = Math.multiplyExact(rows, dims[d]);
        }
        bytes = Math.multiplyExact(Math.multiplyExact(rows, dims[0] / type.blockSize()), type.blockBytes());
      } catch (ArithmeticException e) {
        throw file.error("tensor '" + name + "' dimensions overflow");
      }
      if (offset < 0 || offset % alignment != 0) {
        throw file.error("tensor '" + name + "' offset " + Long.toUnsignedString(offset) + " is not aligned to "
            + alignment);
      }
      long dataSize = file.size() - dataStart;
      if (offset > dataSize || bytes > dataSize - offset) {
        throw file.error("tensor '" + name + "' (bytes " + offset + ".." + (offset + bytes) + " of the data) lies "
            + "beyond the end of the file (truncated?)");
      }
      return new TensorInfo(name, dims, type, dataStart + offset, bytes);
    }

    private Object value(String key, int type, int depth) {
      Quoted what = new Quoted("value of", key);
      switch (type) {
        case 0: return (long) (u8(what) & 0xff);
        case 1: return (long) u8(what);
        case 2: return (long) (i16(what) & 0xffff);
        case 3: return (long) i16(what);
        case 4: return i32(what) & 0xffffffffL;
        case 5: return (long) i32(what);
        case 6: return (double) Float.intBitsToFloat(i32(what));
        case 7: {
          byte b = u8(what);
          if (b != 0 && b != 1) {
            throw file.error("metadata '" + key + "': bool value " + b);
          }
          return b == 1;
        }
        case 8: return string(what);
        case 9: {
          if (depth >= MAX_ARRAY_DEPTH) {
            throw file.error("metadata '" + key + "': arrays nested deeper than " + MAX_ARRAY_DEPTH);
          }
          int elemType = i32("array type of '" + key + "'");
          long n = u64("array length of '" + key + "'");
          int minSize = elemType == 8 ? 8 : elemType == 9 ? 12 : typeSize(key, elemType);
          if (n < 0 || n > remaining() / minSize) {
            throw file.error("metadata '" + key + "': array of " + Long.toUnsignedString(n) + " elements is beyond "
                + "the end of the file (truncated?)");
          }
          GgufArray array = GgufArray.allocate(elemType, (int) n);
          for (int i = 0; i < n; i++) {
            Object v = value(key, elemType, depth + 1);
            if (v instanceof Long l) {
              array.set(i, l);
            } else if (v instanceof Double d) {
              array.setFloat(i, d);
            } else if (v instanceof Boolean b) {
              array.set(i, b ? 1 : 0);
            } else {
              array.setObject(i, v);
            }
          }
          return array;
        }
        case 10:
        case 11: return u64(what);
        case 12: return Double.longBitsToDouble(u64(what));
        default: throw file.error("metadata '" + key + "' has unknown value type " + type);
      }
    }

    private int typeSize(String key, int type) {
      switch (type) {
        case 0: case 1: case 7: return 1;
        case 2: case 3: return 2;
        case 4: case 5: case 6: return 4;
        case 10: case 11: case 12: return 8;
        default: throw file.error("metadata '" + key + "' has unknown array element type " + type);
      }
    }

    private long remaining() {
      return file.size() - pos;
    }

    private ByteBuffer need(int n, Object what) {
      if (n > remaining()) {
        throw file.error("truncated: " + what + " at byte " + pos + " needs " + n + " bytes, " + remaining()
            + " remain");
      }
      long end = pos + n;
      if (pos < windowStart || end > windowStart + window.limit()) {
        windowStart = pos;
        window = file.read(pos, (int) Math.min(Math.max(n, WINDOW), remaining()), "header");
      }
      window.position((int) (pos - windowStart));
      pos = end;
      return window;
    }

    private byte u8(Object what) {
      return need(1, what).get();
    }

    private short i16(Object what) {
      return need(2, what).getShort();
    }

    private int i32(Object what) {
      return need(4, what).getInt();
    }

    private long u64(Object what) {
      return need(8, what).getLong();
    }

    private String string(Object what) {
      long n = u64(new LengthOf(what));
      if (n < 0 || n > remaining()) {
        throw file.error("truncated or corrupt: " + what + " claims " + Long.toUnsignedString(n) + " bytes, "
            + remaining() + " remain");
      }
      if (n > (64 << 20)) {
        throw file.error(what + " is " + n + " bytes long (limit 64 MiB)");
      }
      if (n == 0) {
        return "";  // shared: an array of millions of empty strings costs one reference each
      }
      ByteBuffer b = need((int) n, what);
      byte[] bytes = new byte[(int) n];
      b.get(bytes);
      return new String(bytes, StandardCharsets.UTF_8);  // invalid sequences become U+FFFD
    }
  }
}
