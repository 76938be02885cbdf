package org.sparsej.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structure-aware half of the fuzz targets: a format's writer re-emits a valid seed field by field, and asks
 * this class for every field it writes. A few fields, picked up front from the fuzzer's input, get another value
 * (boundary integers, off-by-one lengths, NaN, other keys, dropped or repeated entries); all others keep the seed's,
 * so lengths, counts and nesting stay consistent around the mutated field and the parser reaches its deep checks.
 * An empty input changes nothing: the seed itself, which every target must accept.
 */
final class Fuzz {
  private static final long[] INTERESTING = {0, 1, -1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 63, 64, 127, 128, 255, 256,
      1023, 4096, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffffL, 0x80000000L, 0xffffffffL, 1L << 32, 1L << 40,
      Long.MAX_VALUE, Long.MIN_VALUE};
  private static final float[] FLOATS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, -1f,
      1e30f, 1e-45f, Float.MAX_VALUE, -1e-7f};
  private static final byte[] JSON_BYTES = "{}[]\",:0-9eE.\\ ntf".getBytes(StandardCharsets.US_ASCII);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final FuzzedDataProvider data;
  private final Set<Integer> targets = new HashSet<>();
  private int next;

  /** Picks up to 6 of the first maxFields fields to mutate, half of them among the first 64 (the headers). */
  Fuzz(FuzzedDataProvider data, int maxFields) {
    this.data = data;
    int n = data == null ? 0 : data.consumeInt(0, 6);
    for (int i = 0; i < n; i++) {
      targets.add(data.consumeBoolean() ? data.consumeInt(0, 63) : data.consumeInt(0, maxFields - 1));
    }
  }

  /** A fuzzer that changes nothing: the seed as it is, and its field count. */
  static Fuzz none() {
    return new Fuzz(null, 0);
  }

  /** How many fields were written so far. */
  int fields() {
    return next;
  }

  /** Whether the next field is one to mutate (each call is one field). */
  boolean hit() {
    return targets.contains(next++);
  }

  /** An integer field: the seed's value, or a boundary value, a near one, or any. */
  long value(long v) {
    if (!hit()) {
      return v;
    }
    switch (data.consumeInt(0, 3)) {
      case 0: return INTERESTING[data.consumeInt(0, INTERESTING.length - 1)];
      case 1: return v + data.consumeInt(-3, 3);
      case 2: return -v;
      default: return data.consumeLong();
    }
  }

  int i32(int v) {
    return (int) value(v);
  }

  float f32(float v) {
    if (!hit()) {
      return v;
    }
    return data.consumeBoolean() ? FLOATS[data.consumeInt(0, FLOATS.length - 1)] : data.consumeFloat();
  }

  /** A string field: the seed's, or empty, extended, another from dict (a format's known names), or any. */
  String text(String s, List<String> dict) {
    if (!hit()) {
      return s;
    }
    switch (data.consumeInt(0, 3)) {
      case 0: return "";
      case 1: return s + data.consumeString(8);
      case 2: return dict.isEmpty() ? s : dict.get(data.consumeInt(0, dict.size() - 1));
      default: return data.consumeString(40);
    }
  }

  /** How often to write the next entry of a list: usually once, sometimes never or twice. */
  int copies() {
    return hit() ? (data.consumeBoolean() ? 0 : 2) : 1;
  }

  /** A JSON tree with fields dropped, values replaced or fields added (keys from dict), as JSON text. */
  byte[] json(JsonNode seed, List<String> dict) {
    byte[] text;
    try {
      text = JSON.writeValueAsBytes(mutate(seed.deepCopy(), dict));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    if (hit() && text.length > 0) {  // one syntax-level change: a JSON-significant byte written somewhere
      text[data.consumeInt(0, text.length - 1)] = JSON_BYTES[data.consumeInt(0, JSON_BYTES.length - 1)];
    }
    return text;
  }

  private JsonNode mutate(JsonNode n, List<String> dict) {
    if (n.isObject()) {
      ObjectNode o = (ObjectNode) n;
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (hit()) {
          it.remove();
        } else {
          e.setValue(mutate(e.getValue(), dict));
        }
      }
      if (hit()) {
        o.set(text("x", dict), anyValue(dict));
      }
      return o;
    }
    if (n.isArray()) {
      ArrayNode a = (ArrayNode) n;
      for (int i = 0; i < a.size(); i++) {
        a.set(i, mutate(a.get(i), dict));
      }
      if (hit()) {
        if (a.size() > 0 && data.consumeBoolean()) {
          a.remove(data.consumeInt(0, a.size() - 1));
        } else {
          a.add(anyValue(dict));
        }
      }
      return a;
    }
    return hit() ? anyValue(dict) : n;
  }

  private JsonNode anyValue(List<String> dict) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    switch (data.consumeInt(0, 7)) {
      case 0: return f.numberNode(INTERESTING[data.consumeInt(0, INTERESTING.length - 1)]);
      case 1: return f.numberNode(data.consumeDouble());
      case 2: return f.numberNode(data.consumeInt(-2, 40));
      case 3: return f.textNode(dict.isEmpty() ? "" : dict.get(data.consumeInt(0, dict.size() - 1)));
      case 4: return f.textNode(data.consumeString(20));
      case 5: return f.booleanNode(data.consumeBoolean());
      case 6: return f.nullNode();
      default: return data.consumeBoolean() ? f.objectNode() : f.arrayNode();
    }
  }

  /** Whether to cut the file, and where: usually not. */
  byte[] maybeTruncate(byte[] file) {
    if (!hit()) {
      return file;
    }
    return java.util.Arrays.copyOf(file, data.consumeInt(0, file.length + 16));
  }

  /** A little-endian byte writer. */
  static final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes le(long v, int width) {
      for (int i = 0; i < width; i++) {
        out.write((int) (v >>> (8 * i)));
      }
      return this;
    }

    Bytes raw(byte[] b) {
      out.write(b, 0, b.length);
      return this;
    }

    int size() {
      return out.size();
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }
  }
}
