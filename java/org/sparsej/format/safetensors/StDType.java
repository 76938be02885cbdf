package org.sparsej.format.safetensors;

import java.util.Locale;

/** The element types a safetensors header may name, with their sizes. */
public enum StDType {
  F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), U16(2), U32(4), U64(8), BOOL(1),
  F8_E4M3(1), F8_E5M2(1);

  private final int bytes;

  StDType(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** The dtype spelled {@code name}, or null if safetensors has no such type. */
  public static StDType parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
