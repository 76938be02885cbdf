package org.sparsej.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.bytedeco.javacpp.Pointer;
import org.sparsej.nativeops.HugePages;
import org.sparsej.tensor.OffHeapMemory;
import org.sparsej.util.InputPaths;
import org.sparsej.util.SparsejException;

/**
 * A read-only model file whose every read and mapping is checked against its size first: the format readers
 * never touch a byte outside the file, and every problem becomes one "FILE: problem" line.
 */
public final class BoundedFile implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private final long size;
  /** The whole file's mapping once a small file has been mapped (see {@link #map}). */
  private ByteBuffer whole;

  /** Files up to this size are taken whole (see {@link #map}): tiny and test models, fuzzed inputs. */
  public static final long MAP_WHOLE = 64L << 20;

  /**
   * Whole files from this size up to {@link #MAP_WHOLE} are read into huge-page memory rather than mapped: sj-7m's
   * (26 MB) matmuls ran 8-10% faster on huge pages (docs/benchmarks.md). Smaller files would pay a 4 MiB aligned
   * allocation for nothing; larger ones stay in the shared page cache, where a copy would double the memory while
   * loading and cannot be shared between JVMs.
   */
  static final long READ_WHOLE_MIN = 8L << 20;

  private BoundedFile(Path path, FileChannel channel, long size) {
    this.path = path;
    this.channel = channel;
    this.size = size;
  }

  public static BoundedFile open(Path path) {
    InputPaths.requireRegularFile(path);
    try {
      FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
      return new BoundedFile(path, channel, channel.size());
    } catch (NoSuchFileException e) {
      throw new SparsejException(path + ": file not found");
    } catch (AccessDeniedException e) {
      throw new SparsejException(path + ": permission denied");
    } catch (IOException e) {
      throw new SparsejException(path + ": cannot open: " + e.getMessage());
    }
  }

  public Path path() {
    return path;
  }

  public long size() {
    return size;
  }

  /** An exception whose message is "FILE: problem". */
  public SparsejException error(String problem) {
    return new SparsejException(path + ": " + problem);
  }

  /** Throws "FILE: truncated: ..." unless [offset, offset+length) lies inside the file. */
  public void requireRange(long offset, long length, String what) {
    if (offset < 0 || length < 0 || offset > size || length > size - offset) {
      throw error("truncated or corrupt: " + what + " spans bytes " + offset + ".." + safeEnd(offset, length)
          + " but the file has " + size);
    }
  }

  private static String safeEnd(long offset, long length) {
    long end = offset + length;
    return end < offset ? "beyond 2^63" : Long.toString(end);
  }

  /** Reads length bytes at offset into a little-endian heap buffer (for headers; not for weights). */
  public ByteBuffer read(long offset, int length, String what) {
    requireRange(offset, length, what);
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    try {
      while (buf.hasRemaining()) {
        int n = channel.read(buf, offset + buf.position());
        if (n < 0) {
          throw error("file shrank while reading " + what);
        }
      }
    } catch (IOException e) {
      throw error("cannot read " + what + ": " + e.getMessage());
    }
    return buf.flip();
  }

  /**
   * Maps [offset, offset+length) read-only, little-endian; one mapping holds at most 2 GiB. A small file (at most
   * {@link #MAP_WHOLE}) is read whole on its first map ({@link #readWhole}) and each tensor is a slice of it: for
   * small models one mmap and munmap per tensor was most of the load time. A tensor dropped after load (converted,
   * dequantized) keeps that copy alive, at most {@link #MAP_WHOLE} bytes; large files keep one mapping per tensor,
   * so such a tensor releases its pages.
   */
  public ByteBuffer map(long offset, long length, String what) {
    requireRange(offset, length, what);
    if (length > Integer.MAX_VALUE) {
      throw error(what + " is " + length + " bytes; one tensor may hold at most 2 GiB");
    }
    try {
      if (size <= MAP_WHOLE) {
        return whole().slice((int) offset, (int) length).order(ByteOrder.LITTLE_ENDIAN);
      }
      return channel.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw error("cannot map " + what + ": " + e.getMessage());
    }
  }

  private synchronized ByteBuffer whole() throws IOException {
    if (whole == null) {
      whole = readWhole(channel, size);
    }
    return whole;
  }

  /**
   * A small file's {@code size} bytes (at most {@link #MAP_WHOLE}) as one buffer: from {@link #READ_WHOLE_MIN},
   * read into huge-page memory where the native library runs and the kernel grants huge pages, since a decode step
   * streams every weight once per token and huge pages spare a TLB miss per 4 KiB (sj-7m decode,
   * docs/benchmarks.md); mapped read-only otherwise.
   */
  public static ByteBuffer readWhole(FileChannel channel, long size) throws IOException {
    ByteBuffer copy = size >= READ_WHOLE_MIN && size <= MAP_WHOLE ? HugePages.read(channel, 0, (int) size) : null;
    return copy != null ? copy : channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
  }

  /**
   * Like {@link #map}, for data read as elements of {@code alignment} bytes (a power of two, at most 8): when the
   * mapping does not start on such a boundary (a safetensors header without padding, a GGUF alignment of 1), the
   * bytes are copied into aligned off-heap memory instead, because the native kernels load whole elements from
   * these addresses and a misaligned load is undefined behaviour in C++.
   */
  public ByteBuffer mapAligned(long offset, long length, int alignment, String what) {
    ByteBuffer mapped = map(offset, length, what);
    if (length == 0 || new Pointer(mapped).address() % alignment == 0) {
      return mapped;
    }
    if (length > Integer.MAX_VALUE - 8) {
      throw error(what + " is misaligned in the file and too large to copy (" + length + " bytes)");
    }
    ByteBuffer copy = OffHeapMemory.directBuffer((int) length + 8).alignedSlice(8).limit((int) length).slice();
    return copy.put(mapped).flip().order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // read-only: nothing was lost
    }
  }
}
