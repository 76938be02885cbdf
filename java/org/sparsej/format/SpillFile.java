package org.sparsej.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.OffHeapCollector;
import org.sparsej.weights.Precision;
import org.sparsej.weights.StoredSummary;
import org.sparsej.weights.StoredWeight;

/**
 * A temporary file that holds compressed linears between the block that made them and the writer that writes
 * them, so a streamed compression keeps one block in memory rather than the whole output. Written and read with
 * plain file I/O, not mapped: a read-back weight lives in fresh buffers that die with it, and the page cache is not
 * counted against the process. Deleted on {@link #close} (and at JVM exit, should close never come).
 */
public final class SpillFile implements AutoCloseable {
  private final Path path;
  private final FileChannel channel;
  private long end;
  // read-back buffers are off-heap and freed only when collected: without this the write phase keeps them all
  private final OffHeapCollector collector = new OffHeapCollector(256L << 20);

  /** A hidden temporary file in {@code dir} (put it beside the output: the same disk, the same free space). */
  public SpillFile(Path dir) {
    try {
      path = Files.createTempFile(dir.toAbsolutePath(), ".sparsej-spill-", ".tmp");
      path.toFile().deleteOnExit();
      channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a spill file in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Where one tensor of a spilled weight lies. */
  private record Part(long offset, DType dtype, int[] shape) {}

  /** Writes {@code s} out and returns it as a source that reads it back. */
  public LinearSource put(StoredWeight s) {
    StoredSummary summary = StoredSummary.of(s);
    Part values = write(s.values());
    Part bitmask = s.bitmask() == null ? null : write(s.bitmask());
    Part scales = s.scales() == null ? null : write(s.scales());
    // The read-back captures these fields, never s: a lambda holding s held every spilled block's buffers, and a
    // streamed SparseGPT of the Llama-2-7B shape ran out of direct memory after 11 of its 32 blocks.
    int rows = s.rows();
    int cols = s.cols();
    StoredWeight.Layout layout = s.layout();
    int groups = s.groups();
    Precision precision = s.precision();
    return new LinearSource(summary, () -> new StoredWeight(rows, cols, layout, read(values),
        bitmask == null ? null : read(bitmask), scales == null ? null : read(scales), groups, precision));
  }

  private synchronized Part write(Tensor t) {
    Part p = new Part(end, t.dtype(), t.shape().clone());
    ByteBuffer b = t.bytes().duplicate();
    b.clear();
    try {
      long at = end;
      while (b.hasRemaining()) {
        at += channel.write(b, at);
      }
      end = at;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the spill file " + path + ": " + e.getMessage(), e);
    }
    return p;
  }

  private synchronized Tensor read(Part p) {
    Tensor t = Tensor.allocate(p.dtype(), p.shape());
    collector.dropped(t.bytes().capacity());
    ByteBuffer b = t.bytes().duplicate();
    b.clear();
    try {
      long at = p.offset();
      while (b.hasRemaining()) {
        int n = channel.read(b, at);
        if (n < 0) {
          throw new IOException("ends early");
        }
        at += n;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the spill file " + path + ": " + e.getMessage(), e);
    }
    return t;
  }

  /** Bytes spilled so far. */
  public long bytes() {
    return end;
  }

  @Override
  public void close() {
    try {
      channel.close();
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // best effort: deleteOnExit tries again
    }
  }
}
