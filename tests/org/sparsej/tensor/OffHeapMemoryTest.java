package org.sparsej.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sparsej.backend.Backend;
import org.sparsej.backend.CpuBackend;
import org.sparsej.backend.JavaBackend;
import org.sparsej.testing.RandomTensors;
import org.sparsej.weights.DenseF32Weight;

/** Tensor memory past the JVM's direct limit: native blocks, zeroed, usable by the kernels, freed when unreachable. */
class OffHeapMemoryTest {
  private static final int MB = 1 << 20;

  @BeforeEach
  void needsNative() {
    assumeTrue(org.sparsej.nativeops.NativeLibrary.available(), "native library not built");
  }

  @Test
  void pastTheDirectLimitBlocksAreNativeZeroedAndWritable() {
    OffHeapMemory memory = new OffHeapMemory(0, 64 * MB);
    ByteBuffer b = memory.allocate(3 * MB + 5);
    assertTrue(b.isDirect());
    assertEquals(3 * MB + 5, b.capacity());
    assertEquals(3 * MB + 5, memory.nativeBytesInUse());
    for (int i = 0; i < b.capacity(); i += 4093) {
      assertEquals(0, b.get(i), "zeroed at " + i);
    }
    b.put(b.capacity() - 1, (byte) 42);
    assertEquals(42, b.slice().get(b.capacity() - 1));
  }

  @Test
  void nativeKernelsReadTensorsOnNativeBlocks() {
    OffHeapMemory memory = new OffHeapMemory(0, 64 * MB);
    int rows = 37;
    int cols = 1031;
    RandomTensors random = new RandomTensors(7);
    Tensor w = onNative(memory, random.uniform(rows, cols));
    Tensor x = onNative(memory, random.uniform(1, cols));
    Tensor native_ = onNative(memory, RandomTensors.poisoned(1, rows));
    Tensor oracle = RandomTensors.poisoned(1, rows);
    try (Backend cpu = new CpuBackend(2); Backend java = new JavaBackend(2)) {
      cpu.matmul(native_, x, new DenseF32Weight(w), 1);
      java.matmul(oracle, x, new DenseF32Weight(w), 1);
    }
    for (int r = 0; r < rows; r++) {
      assertEquals(oracle.getFloat(r), native_.getFloat(r), 1e-4f * (1 + Math.abs(oracle.getFloat(r))), "row " + r);
    }
  }

  @Test
  void unreachableBlocksAreFreedAndTheirRoomReused() throws InterruptedException {
    OffHeapMemory memory = new OffHeapMemory(0, 16 * MB);
    memory.allocate(12 * MB).put(0, (byte) 1);  // dropped at once
    // Over the limit with the first block still counted: the allocation collects, the cleaner frees it, room returns.
    ByteBuffer second = memory.allocate(12 * MB);
    assertEquals(12 * MB, second.capacity());
    assertEquals(12 * MB, memory.nativeBytesInUse());
    second = null;
    for (int i = 0; i < 100 && memory.nativeBytesInUse() > 0; i++) {
      System.gc();
      Thread.sleep(20);
    }
    assertEquals(0, memory.nativeBytesInUse());
  }

  @Test
  void overTheLimitIsAnOutOfMemoryErrorThatNamesTheLimits() {
    OffHeapMemory memory = new OffHeapMemory(0, 8 * MB);
    ByteBuffer held = memory.allocate(6 * MB);
    OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> memory.allocate(4 * MB));
    assertTrue(e.getMessage().contains("native blocks") && e.getMessage().contains("MaxDirectMemorySize"),
        e.getMessage());
    assertEquals(6 * MB, held.capacity());
    assertEquals(6 * MB, memory.nativeBytesInUse(), "the refused request is not counted");
  }

  @Test
  void withinTheDirectLimitBuffersAreOrdinaryDirectOnes() {
    OffHeapMemory memory = new OffHeapMemory(Long.MAX_VALUE, 0);
    ByteBuffer b = memory.allocate(1024);
    assertTrue(b.isDirect());
    assertEquals(0, memory.nativeBytesInUse());
  }

  /** A copy of {@code t} in a block of {@code memory}. */
  private static Tensor onNative(OffHeapMemory memory, Tensor t) {
    Tensor c = Tensor.wrap(memory.allocate((int) t.byteSize()), t.dtype(), t.shape());
    c.bytes().put(t.bytes());
    return c;
  }
}
