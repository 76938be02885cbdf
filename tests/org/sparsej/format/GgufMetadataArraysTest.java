package org.sparsej.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.format.gguf.GgufArray;
import org.sparsej.format.gguf.GgufFile;

/**
 * GGUF metadata arrays are held in primitive arrays of their element type (a 60 M-element u8 array took 2.2 GB
 * as boxed Longs): every element type reads back exactly, unsigned types widened, and a large u8 array costs
 * about its size on the heap.
 */
class GgufMetadataArraysTest {
  @TempDir Path tmp;

  /** Little-endian GGUF v3 header writer for metadata only (no tensors). */
  private static final class Header {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    int count;

    Header array(String key, int elemType, int n, java.util.function.Consumer<ByteBuffer> elements, int bytes) {
      ByteBuffer b = buf(8 + key.length() + 4 + 4 + 8 + bytes);
      b.putLong(key.length()).put(key.getBytes(StandardCharsets.UTF_8)).putInt(9).putInt(elemType).putLong(n);
      elements.accept(b);
      out.write(b.array(), 0, b.position());
      count++;
      return this;
    }

    Path write(Path p) throws IOException {
      ByteBuffer h = buf(24).putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(count);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.write(h.array(), 0, 24);
      all.write(out.toByteArray());
      all.write(new byte[(32 - all.size() % 32) % 32]);  // the (empty) data section starts aligned
      Files.write(p, all.toByteArray());
      return p;
    }

    static ByteBuffer buf(int n) {
      return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  @Test
  void everyElementTypeReadsBackExactly() throws IOException {
    Header h = new Header()
        .array("u8", 0, 3, b -> b.put((byte) 0).put((byte) 200).put((byte) 255), 3)
        .array("i8", 1, 2, b -> b.put((byte) -128).put((byte) 127), 2)
        .array("u16", 2, 2, b -> b.putShort((short) 0xffff).putShort((short) 7), 4)
        .array("i16", 3, 1, b -> b.putShort((short) -300), 2)
        .array("u32", 4, 1, b -> b.putInt(0xffffffff), 4)
        .array("i32", 5, 2, b -> b.putInt(-5).putInt(Integer.MAX_VALUE), 8)
        .array("f32", 6, 2, b -> b.putFloat(1.5f).putFloat(-0.25f), 8)
        .array("u64", 10, 1, b -> b.putLong(1L << 40), 8)
        .array("i64", 11, 1, b -> b.putLong(-1L << 40), 8)
        .array("f64", 12, 1, b -> b.putDouble(Math.PI), 8)
        .array("str", 8, 3, b -> b.putLong(2).put("ab".getBytes(StandardCharsets.UTF_8)).putLong(0).putLong(1)
            .put((byte) 'c'), 8 + 2 + 8 + 8 + 1)
        .array("nested", 9, 2, b -> b.putInt(5).putLong(1).putInt(42).putInt(0).putLong(0), 4 + 8 + 4 + 4 + 8);
    try (GgufFile g = GgufFile.open(h.write(tmp.resolve("arrays.gguf")))) {
      GgufArray u8 = arr(g, "u8");
      assertTrue(u8.isInteger());
      assertEquals(List.of(0L, 200L, 255L), List.of(u8.longAt(0), u8.longAt(1), u8.longAt(2)));
      assertEquals(-128L, arr(g, "i8").longAt(0));
      assertEquals(0xffffL, arr(g, "u16").longAt(0));
      assertEquals(-300L, arr(g, "i16").longAt(0));
      assertEquals(0xffffffffL, arr(g, "u32").longAt(0));
      assertEquals(Integer.MAX_VALUE, arr(g, "i32").longAt(1));
      assertTrue(arr(g, "f32").isFloat());
      assertEquals(-0.25, arr(g, "f32").doubleAt(1));
      assertEquals(1L << 40, arr(g, "u64").longAt(0));
      assertEquals(-1L << 40, arr(g, "i64").longAt(0));
      assertEquals(Math.PI, arr(g, "f64").doubleAt(0));
      assertEquals(List.of("ab", "", "c"), arr(g, "str").strings());
      GgufArray nested = arr(g, "nested");
      assertEquals(2, nested.size());
      assertEquals(42L, nested.arrayAt(0).longAt(0));
      assertEquals(0, nested.arrayAt(1).size());
    }
  }

  @Test
  void aLargeByteArrayCostsItsSizeNotBoxedValues() throws IOException {
    int n = 16_000_000;
    Header h = new Header().array("big", 0, n, b -> {
      for (int i = 0; i < n; i++) {
        b.put((byte) i);
      }
    }, n);
    Path p = h.write(tmp.resolve("big.gguf"));
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long before = rt.totalMemory() - rt.freeMemory();
    try (GgufFile g = GgufFile.open(p)) {
      GgufArray big = arr(g, "big");
      System.gc();
      long used = rt.totalMemory() - rt.freeMemory() - before;
      assertEquals(n, big.size());
      assertEquals(255L, big.longAt(255));
      assertEquals((long) ((n - 1) & 0xff), big.longAt(n - 1));
      // Boxed, 16 M values took ~16 bytes each plus a reference (~320 MB); held as bytes, ~16 MB (+ the 1 MB
      // read window). The bound leaves room for GC noise while failing clearly on any boxing.
      assertTrue(used < 100L << 20, "the array took " + (used >> 20) + " MB of heap for " + (n >> 20) + " MB");
    }
  }

  private static GgufArray arr(GgufFile g, String key) {
    return assertInstanceOf(GgufArray.class, g.metadata().get(key), key);
  }
}
