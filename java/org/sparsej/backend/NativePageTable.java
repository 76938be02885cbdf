package org.sparsej.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.Pointer;
import org.sparsej.tensor.OffHeapMemory;

/**
 * A {@link PagedKv} as the native kernels of attention_paged.h read it: segments [n][4] int32 {row0, rows, pos0,
 * table0} followed by the page base addresses (int64), in one direct buffer made once per pass.
 */
final class NativePageTable {
  final int segments;
  final long segmentsAddress;
  final long pagesAddress;
  @SuppressWarnings("unused")  // keeps the memory alive while the addresses are in use
  private final ByteBuffer memory;

  private NativePageTable(PagedKv kv) {
    segments = kv.segments();
    int segmentBytes = 16 * segments;
    memory = OffHeapMemory.directBuffer(segmentBytes + 8 * kv.tableSize() + 8).order(ByteOrder.nativeOrder());
    for (int s = 0; s < segments; s++) {
      memory.putInt(kv.row0(s)).putInt(kv.rows(s)).putInt(kv.pos0(s)).putInt(kv.tableStart(s));
    }
    for (int i = 0; i < kv.tableSize(); i++) {
      memory.putLong(kv.tablePage(i).address());
    }
    long base = new Pointer(memory).address();
    segmentsAddress = base;
    pagesAddress = base + segmentBytes;
  }

  static NativePageTable of(PagedKv kv) {
    if (!(kv.nativeEncoding instanceof NativePageTable t)) {
      NativePageTable t = new NativePageTable(kv);
      kv.nativeEncoding = t;
      return t;
    }
    return t;
  }
}
