package org.sparsej.format.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sparsej.format.BoundedFile;
import org.sparsej.format.Halfs;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * One .safetensors file: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}}), then the
 * data section, which the offsets index. The header is validated whole before any tensor is mapped: known dtypes,
 * shapes that match their byte ranges, ranges inside the data section and no two tensors overlapping.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** safetensors' own limit on the header size; a larger one means a corrupt or hostile file. */
  static final long MAX_HEADER = 100L << 20;
  /** Real checkpoints hold a handful of empty tensors at most; millions of them only cost memory. */
  static final int MAX_EMPTY_TENSORS = 4096;

  static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** Reads one header entry off a parser that goes on to the next (the trailing check is made once, at the end). */
  private static final ObjectReader ENTRY = JSON.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One tensor of the header; begin/end are absolute file offsets. */
  public record Entry(String name, StDType dtype, long[] shape, long begin, long end) {
    public long byteSize() {
      return end - begin;
    }

    public long elementCount() {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      return n;
    }

    public String shapeString() {
      return Arrays.toString(shape);
    }
  }

  private final BoundedFile file;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private SafetensorsFile(BoundedFile file, Map<String, Entry> entries, Map<String, String> metadata) {
    this.file = file;
    this.entries = entries;
    this.metadata = metadata;
  }

  public static SafetensorsFile open(Path path) {
    BoundedFile file = BoundedFile.open(path);
    try {
      return parse(file);
    } catch (RuntimeException e) {
      file.close();
      throw e;
    }
  }

  private static SafetensorsFile parse(BoundedFile file) {
    if (file.size() < 8) {
      throw file.error("truncated: " + file.size() + " bytes, a safetensors file starts with an 8-byte header "
          + "length");
    }
    long headerLength = file.read(0, 8, "header length").getLong();
    if (headerLength < 2 || headerLength > file.size() - 8) {
      throw file.error("header length " + Long.toUnsignedString(headerLength) + " is beyond the file size "
          + file.size() + " (truncated, or not a safetensors file)");
    }
    if (headerLength > MAX_HEADER) {
      throw file.error("header length " + headerLength + " exceeds the 100 MB limit of safetensors");
    }
    byte[] raw = file.read(8, (int) headerLength, "header").array();  // a heap buffer of exactly the header
    long dataStart = 8 + headerLength;
    long dataSize = file.size() - dataStart;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    // Streamed one entry at a time: a tree of the whole header would cost ~25x its bytes before any check ran.
    try (JsonParser p = JSON.getFactory().createParser(raw)) {  // trailing padding spaces are JSON whitespace
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw file.error("header is not a JSON object");
      }
      int empty = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        JsonNode value = ENTRY.readTree(p);
        if (name.equals("__metadata__")) {
          readMetadata(file, value, metadata);
          continue;
        }
        Entry e = readEntry(file, name, value, dataStart, dataSize);
        if (e.byteSize() == 0 && ++empty > MAX_EMPTY_TENSORS) {
          throw file.error("header declares more than " + MAX_EMPTY_TENSORS + " tensors without data (corrupt or "
              + "hostile file)");
        }
        entries.put(e.name(), e);
      }
      if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
        throw file.error("header is not valid JSON (trailing data after the object)");
      }
    } catch (JsonProcessingException e) {
      throw file.error("header is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
    } catch (java.io.IOException e) {
      throw file.error("cannot read the header: " + e.getMessage());
    }
    List<Entry> byOffset = new ArrayList<>(entries.values());
    byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    for (int i = 1; i < byOffset.size(); i++) {
      Entry a = byOffset.get(i - 1);
      Entry b = byOffset.get(i);
      if (b.begin() < a.end()) {
        throw file.error("tensors '" + a.name() + "' and '" + b.name() + "' overlap (data offsets "
            + (a.begin() - dataStart) + ".." + (a.end() - dataStart) + " and " + (b.begin() - dataStart) + ".."
            + (b.end() - dataStart) + ")");
      }
    }
    return new SafetensorsFile(file, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
  }

  private static void readMetadata(BoundedFile file, JsonNode node, Map<String, String> out) {
    if (!node.isObject()) {
      throw file.error("__metadata__ is not an object of strings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!f.getValue().isTextual()) {
        throw file.error("__metadata__ value for '" + f.getKey() + "' is not a string");
      }
      out.put(f.getKey(), f.getValue().asText());
    }
  }

  private static Entry readEntry(BoundedFile file, String name, JsonNode node, long dataStart, long dataSize) {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw file.error(where + ": header entry is not an object");
    }
    JsonNode dt = node.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw file.error(where + ": missing dtype");
    }
    StDType dtype = StDType.parse(dt.asText());
    if (dtype == null) {
      throw file.error(where + ": unknown dtype '" + dt.asText() + "'");
    }
    JsonNode shapeNode = node.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw file.error(where + ": missing shape");
    }
    long[] shape = new long[shapeNode.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw file.error(where + ": shape " + shapeNode + " is not a list of non-negative integers");
      }
      shape[i] = d.asLong();
      try {
        elements = Math.multiplyExact(elements, shape[i]);
      } catch (ArithmeticException e) {
        throw file.error(where + ": shape " + shapeNode + " overflows");
      }
    }
    JsonNode offsets = node.get("data_offsets");
    if (offsets == null || !offsets.isArray() || offsets.size() != 2 || !offsets.get(0).isIntegralNumber()
        || !offsets.get(1).isIntegralNumber() || !offsets.get(0).canConvertToLong()
        || !offsets.get(1).canConvertToLong()) {
      throw file.error(where + ": data_offsets must be [begin, end]");
    }
    long begin = offsets.get(0).asLong();
    long end = offsets.get(1).asLong();
    if (begin < 0 || end < begin || end > dataSize) {
      throw file.error(where + ": data offsets [" + begin + ", " + end + "] out of range: the data section has "
          + dataSize + " bytes (truncated file?)");
    }
    long expected;
    try {
      expected = Math.multiplyExact(elements, dtype.bytes());
    } catch (ArithmeticException e) {
      throw file.error(where + ": shape " + shapeNode + " overflows");
    }
    if (end - begin != expected) {
      throw file.error(where + ": " + dtype + " " + Arrays.toString(shape) + " needs " + expected
          + " bytes, data offsets give " + (end - begin));
    }
    return new Entry(name, dtype, shape, dataStart + begin, dataStart + end);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  public Path path() {
    return file.path();
  }

  public BoundedFile file() {
    return file;
  }

  public Map<String, Entry> entries() {
    return entries;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public Entry entry(String name) {
    return entries.get(name);
  }

  /** The raw bytes of a tensor, memory-mapped (no copy), or copied when the file leaves them misaligned. */
  public ByteBuffer map(Entry e) {
    return file.mapAligned(e.begin(), e.byteSize(), e.dtype().bytes(), "tensor '" + e.name() + "'");
  }

  /**
   * A tensor as F32 with the given shape: F32 data is mapped as is; F16 and BF16 are widened into a fresh
   * off-heap buffer (never onto the Java heap).
   */
  public Tensor f32(Entry e, int... shape) {
    ByteBuffer raw = map(e);
    switch (e.dtype()) {
      case F32:
        return Tensor.wrap(raw, DType.F32, shape);
      case F16:
      case BF16: {
        Tensor t = Tensor.allocate(DType.F32, shape);
        long n = e.elementCount();
        boolean f16 = e.dtype() == StDType.F16;
        for (long i = 0; i < n; i++) {
          short h = raw.getShort((int) (2 * i));
          t.setFloat(i, f16 ? Halfs.f16ToF32(h) : Halfs.bf16ToF32(h));
        }
        return t;
      }
      default:
        throw file.error("tensor '" + e.name() + "': dtype " + e.dtype() + " where a float tensor was expected");
    }
  }

  /** A small integer tensor (shapes, offsets) read as longs; I64, I32, I16, I8, U8 accepted. */
  public long[] longs(Entry e) {
    long n = e.elementCount();
    if (n > Integer.MAX_VALUE / 8) {
      throw file.error("tensor '" + e.name() + "' is too large for an index tensor");
    }
    ByteBuffer raw = map(e);
    long[] out = new long[(int) n];
    for (int i = 0; i < out.length; i++) {
      switch (e.dtype()) {
        case I64: out[i] = raw.getLong(8 * i); break;
        case I32: out[i] = raw.getInt(4 * i); break;
        case I16: out[i] = raw.getShort(2 * i); break;
        case I8: out[i] = raw.get(i); break;
        case U8: out[i] = raw.get(i) & 0xff; break;
        default:
          throw file.error("tensor '" + e.name() + "': dtype " + e.dtype() + " where an integer tensor was "
              + "expected");
      }
    }
    return out;
  }

  @Override
  public void close() {
    file.close();
  }
}
