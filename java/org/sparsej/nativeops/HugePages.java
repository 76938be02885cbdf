package org.sparsej.nativeops;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import org.bytedeco.javacpp.Pointer;

/**
 * Off-heap memory on 2 MiB transparent huge pages, for weights read whole into memory. A decode step streams every
 * weight once per token, and on 4 KiB pages (a file mapping, an ordinary direct buffer) each page of it costs a TLB
 * miss: summing 26 MB at 2 threads on the AVX2 development VM ran at 32.6 GB/s on 4 KiB pages and 42.9 GB/s on huge
 * pages (docs/benchmarks.md, "End to end: dense F32 decode"). The buffers are ordinary direct buffers (freed by the
 * garbage collector); only their page size differs. Where the kernel refuses huge pages (no THP, or a kernel
 * before 6.1 without MADV_COLLAPSE), there is nothing to gain and the caller maps the file instead.
 */
public final class HugePages {
  /** The x86-64 transparent huge page. */
  public static final int SIZE = 2 << 20;

  private HugePages() {}

  /**
   * {@code length} bytes of {@code channel} from {@code offset}, read into fresh memory backed by huge pages where
   * the kernel allows; little-endian. Null when the native library is unavailable, the JVM's direct memory is too
   * small, or the kernel grants no huge pages (the caller maps the file).
   */
  public static ByteBuffer read(FileChannel channel, long offset, int length) throws IOException {
    if (!NativeLibrary.available() || length > Integer.MAX_VALUE - 2 * SIZE) {
      return null;
    }
    ByteBuffer buf;
    try {
      buf = alignedDirect(length);
    } catch (OutOfMemoryError e) {
      return null;  // over -XX:MaxDirectMemorySize (a small -Xmx): the mapping needs no direct memory
    }
    if (advise(buf) != 0) {
      return null;  // small pages only: the copy would cost memory and gain nothing over the mapping
    }
    buf.limit(length);
    while (buf.hasRemaining()) {
      if (channel.read(buf, offset + buf.position()) < 0) {
        throw new IOException("file shrank while reading " + length + " bytes at " + offset);
      }
    }
    // Read-only, as the mapping it stands in for.
    return buf.flip().slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A zeroed direct buffer of at least {@code length} bytes whose both ends lie on huge-page boundaries. */
  static ByteBuffer alignedDirect(int length) {
    // Up to SIZE is lost aligning the start and up to SIZE rounding the end down: 2 * SIZE spare covers both.
    return ByteBuffer.allocateDirect(length + 2 * SIZE).alignedSlice(SIZE);
  }

  /** Asks the kernel to back all of {@code aligned} (from {@link #alignedDirect}) with huge pages; 0 or the errno. */
  static int advise(ByteBuffer aligned) {
    return SparsejNative.sj_huge_pages(new Pointer(aligned).address(), aligned.capacity());
  }
}
