package org.sparsej.tensor;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.javacpp.BytePointer;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;

/**
 * Where tensors' memory comes from: direct buffers while the JVM's direct-memory limit allows (-XX:MaxDirectMemorySize,
 * by default the heap's maximum, a quarter of RAM), then blocks from the native library's allocator. So a model whose
 * weights are converted at load (a Llama-2-7B shape pruned to 50% and stored dense: 13.7 GB as sparse-bitmask F32)
 * loads wherever the machine has the memory, without JVM flags. Native blocks are freed by a {@link Cleaner} once
 * their buffer is unreachable, counted against physical memory less the heap and the direct limit, and every
 * {@link #COLLECT_EVERY_BYTES} of them asks for a collection first, as the direct limit would have, so garbage does
 * not pile up for want of one.
 */
public final class OffHeapMemory {
  static final long COLLECT_EVERY_BYTES = 1L << 30;
  private static final Cleaner CLEANER = Cleaner.create();
  private static final BufferPoolMXBean DIRECT_POOL = directPool();
  private static final long DIRECT_LIMIT = directLimit();
  // The JDK reads files into heap arrays through temporary direct buffers: tensors leave it this much of the limit.
  private static final long JDK_DIRECT_RESERVE = Math.min(256L << 20, DIRECT_LIMIT / 4);
  private static final OffHeapMemory DEFAULT = new OffHeapMemory(DIRECT_LIMIT - JDK_DIRECT_RESERVE, nativeLimit());

  private final long directLimit;
  private final long nativeLimit;
  private final AtomicLong nativeInUse = new AtomicLong();
  private final AtomicLong sinceCollection = new AtomicLong();

  OffHeapMemory(long directLimit, long nativeLimit) {
    this.directLimit = directLimit;
    this.nativeLimit = nativeLimit;
  }

  /**
   * A zeroed direct buffer of {@code bytes}, as {@code ByteBuffer.allocateDirect} gives until the JVM's direct limit
   * is reached, a native block after it: for tensors and every other large buffer (file copies, writers' staging),
   * so none of them fails for a limit the weights have used up.
   */
  public static ByteBuffer directBuffer(int bytes) {
    return DEFAULT.allocate(bytes);
  }

  /** Zeroed, direct, {@code bytes} long; OutOfMemoryError when neither the direct limit nor the rest of RAM has it. */
  ByteBuffer allocate(int bytes) {
    if (!NativeLibrary.available() || directInUse() + bytes <= directLimit) {
      try {
        return ByteBuffer.allocateDirect(bytes);
      } catch (OutOfMemoryError e) {
        if (!NativeLibrary.available()) {
          throw e;
        }
      }
    }
    return allocateNative(bytes);
  }

  /** What tensors may still take: the direct limit's rest, and the native limit's where the native library loads. */
  public static long headroom() {
    long direct = Math.max(0, DEFAULT.directLimit - directInUse());
    return NativeLibrary.available() ? direct + Math.max(0, DEFAULT.nativeLimit - DEFAULT.nativeBytesInUse()) : direct;
  }

  /** Bytes tensors hold in native blocks now, past the direct limit (freed ones no longer counted). */
  public static long nativeBlockBytes() {
    return DEFAULT.nativeBytesInUse();
  }

  /** Bytes held in native blocks now (freed ones no longer counted). */
  long nativeBytesInUse() {
    return nativeInUse.get();
  }

  private ByteBuffer allocateNative(int bytes) {
    if (sinceCollection.addAndGet(bytes) > COLLECT_EVERY_BYTES) {
      sinceCollection.set(0);
      System.gc();
    }
    reserve(bytes);
    BytePointer block = SparsejNative.sj_alloc_zeroed(Math.max(bytes, 1));
    if (block == null || block.isNull()) {
      nativeInUse.addAndGet(-bytes);
      throw new OutOfMemoryError("the C allocator refused " + bytes + " bytes");
    }
    ByteBuffer buffer = block.capacity(bytes).limit(bytes).asByteBuffer();
    // Views (slices, duplicates, float views) keep this buffer reachable, so the block outlives all of them.
    CLEANER.register(buffer, new Free(block.address(), bytes, nativeInUse));
    return buffer;
  }

  /** Counts bytes against the native limit, after collections that may free unreachable blocks (as the JDK's own). */
  private void reserve(int bytes) {
    long sleepMs = 1;
    for (int attempt = 0; ; attempt++) {
      long used = nativeInUse.get();
      if (used + bytes <= nativeLimit) {
        if (nativeInUse.compareAndSet(used, used + bytes)) {
          return;
        }
        continue;
      }
      if (attempt >= 10) {
        throw new OutOfMemoryError(String.format("cannot hold %d more bytes of tensors: %d in direct buffers (up to "
            + "%d, from -XX:MaxDirectMemorySize) and %d in native blocks (up to %d, RAM less the heap and the direct "
            + "limit)",
            bytes, directInUse(), directLimit, used, nativeLimit));
      }
      if (attempt == 0) {
        System.gc();
      }
      try {
        Thread.sleep(sleepMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new OutOfMemoryError("interrupted while waiting for tensor memory to be freed");
      }
      sleepMs *= 2;
    }
  }

  private record Free(long address, long bytes, AtomicLong inUse) implements Runnable {
    @Override
    public void run() {
      SparsejNative.sj_free(address);
      inUse.addAndGet(-bytes);
    }
  }

  private static long directInUse() {
    return DIRECT_POOL == null ? 0 : DIRECT_POOL.getMemoryUsed();
  }

  private static BufferPoolMXBean directPool() {
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        return b;
      }
    }
    return null;
  }

  /** The JVM's direct-memory limit: -XX:MaxDirectMemorySize, or by default the heap's maximum. */
  private static long directLimit() {
    try {
      com.sun.management.HotSpotDiagnosticMXBean hs =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      long set = Long.parseLong(hs.getVMOption("MaxDirectMemorySize").getValue());
      if (set > 0) {
        return set;
      }
    } catch (RuntimeException e) {
      // Not HotSpot: direct memory defaults to the heap's maximum there too.
    }
    return Runtime.getRuntime().maxMemory();
  }

  /** Physical memory less the heap's maximum and the direct limit (0 where the size of RAM is unknown). */
  private static long nativeLimit() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.max(0, os.getTotalMemorySize() - Runtime.getRuntime().maxMemory() - DIRECT_LIMIT);
    }
    return 0;
  }
}
