package org.sparsej.format.gguf;

import java.util.Arrays;
import java.util.List;

/**
 * A GGUF metadata array, held in a primitive array of its element type: a header that declares 60 M one-byte
 * values costs 60 MB, not the gigabytes the same values take boxed in a list. Integers of every width read as
 * long (unsigned ones widened), floats as double; string arrays hold Strings, nested arrays GgufArrays.
 */
public final class GgufArray {
  /** GGUF value type ids of the element kinds. */
  static final int U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7, STRING = 8, ARRAY = 9,
      U64 = 10, I64 = 11, F64 = 12;

  private final int type;
  private final Object values;  // byte[] / short[] / int[] / long[] / float[] / double[] / String[] / GgufArray[]
  private final int size;

  GgufArray(int type, Object values, int size) {
    this.type = type;
    this.values = values;
    this.size = size;
  }

  /** A new array of n elements of a GGUF value type, filled through the set methods while parsing. */
  static GgufArray allocate(int type, int n) {
    return switch (type) {
      case U8, I8, BOOL -> new GgufArray(type, new byte[n], n);
      case U16, I16 -> new GgufArray(type, new short[n], n);
      case U32, I32 -> new GgufArray(type, new int[n], n);
      case U64, I64 -> new GgufArray(type, new long[n], n);
      case F32 -> new GgufArray(type, new float[n], n);
      case F64 -> new GgufArray(type, new double[n], n);
      case STRING -> new GgufArray(type, new String[n], n);
      case ARRAY -> new GgufArray(type, new GgufArray[n], n);
      default -> throw new IllegalArgumentException("GGUF value type " + type);
    };
  }

  public int size() {
    return size;
  }

  public boolean isInteger() {
    return type <= I32 || type == U64 || type == I64;
  }

  public boolean isFloat() {
    return type == F32 || type == F64;
  }

  public boolean isString() {
    return type == STRING;
  }

  /** Element i of an integer array, unsigned types widened. */
  public long longAt(int i) {
    return switch (type) {
      case U8 -> ((byte[]) values)[i] & 0xffL;
      case I8 -> ((byte[]) values)[i];
      case U16 -> ((short[]) values)[i] & 0xffffL;
      case I16 -> ((short[]) values)[i];
      case U32 -> ((int[]) values)[i] & 0xffffffffL;
      case I32 -> ((int[]) values)[i];
      case U64, I64 -> ((long[]) values)[i];
      default -> throw new IllegalStateException("not an integer array");
    };
  }

  /** Element i of a float array. */
  public double doubleAt(int i) {
    return switch (type) {
      case F32 -> ((float[]) values)[i];
      case F64 -> ((double[]) values)[i];
      default -> throw new IllegalStateException("not a float array");
    };
  }

  /** The elements of a string array. */
  public List<String> strings() {
    if (type != STRING) {
      throw new IllegalStateException("not a string array");
    }
    return Arrays.asList((String[]) values);
  }

  /** Element i of an array of arrays. */
  public GgufArray arrayAt(int i) {
    if (type != ARRAY) {
      throw new IllegalStateException("not an array of arrays");
    }
    return ((GgufArray[]) values)[i];
  }

  void set(int i, long v) {
    switch (type) {
      case U8, I8, BOOL -> ((byte[]) values)[i] = (byte) v;
      case U16, I16 -> ((short[]) values)[i] = (short) v;
      case U32, I32 -> ((int[]) values)[i] = (int) v;
      case U64, I64 -> ((long[]) values)[i] = v;
      default -> throw new IllegalStateException("not an integer array");
    }
  }

  void setFloat(int i, double v) {
    if (type == F32) {
      ((float[]) values)[i] = (float) v;
    } else {
      ((double[]) values)[i] = v;
    }
  }

  void setObject(int i, Object v) {
    ((Object[]) values)[i] = v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GgufArray a && a.type == type && Arrays.deepEquals(new Object[] {values},
        new Object[] {a.values});
  }

  @Override
  public int hashCode() {
    return 31 * type + Arrays.deepHashCode(new Object[] {values});
  }

  @Override
  public String toString() {
    return "array of " + size + (isString() ? " strings" : isFloat() ? " floats" : type == BOOL ? " bools"
        : type == ARRAY ? " arrays" : " integers");
  }
}
