package org.sparsej.nativeops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.ModelLoader;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.SharedData;
import org.sparsej.weights.DenseF32Weight;

/** Small model files read whole into huge-page memory: the same bytes as the file, on 2 MiB pages where allowed. */
class HugePagesTest {
  @Test
  void readsExactlyTheFileRange(@TempDir Path dir) throws IOException {
    NativeLibrary.require();
    byte[] bytes = new byte[3 * HugePages.SIZE + 12345];  // an odd size, over several huge pages
    new SplittableRandom(7).nextBytes(bytes);
    Path file = dir.resolve("data.bin");
    Files.write(file, bytes);
    try (FileChannel channel = FileChannel.open(file)) {
      int offset = 4099;
      int length = bytes.length - offset - 77;
      ByteBuffer buf = HugePages.read(channel, offset, length);
      assertEquals(length, buf.remaining());
      assertTrue(buf.isDirect() && buf.isReadOnly(), "a read-only direct buffer, as the mapping it replaces");
      assertEquals(ByteOrder.LITTLE_ENDIAN, buf.order());
      assertEquals(0, new Pointer(buf).address() % HugePages.SIZE, "starts on a huge-page boundary");
      byte[] got = new byte[length];
      buf.get(got);
      byte[] want = new byte[length];
      System.arraycopy(bytes, offset, want, 0, length);
      assertArrayEquals(want, got);
    }
  }

  @Test
  void backsTheBufferWithHugePagesWhereTheKernelAllows() throws IOException {
    NativeLibrary.require();
    ByteBuffer buf = HugePages.alignedDirect(2 * HugePages.SIZE);
    long address = new Pointer(buf).address();
    assertEquals(0, address % HugePages.SIZE);
    assertEquals(0, buf.capacity() % HugePages.SIZE);
    int errno = HugePages.advise(buf);
    assumeTrue(errno == 0, "the kernel backs no huge pages here (errno " + errno + "): small pages, same bytes");
    assertTrue(anonHugePagesKb(address) >= HugePages.SIZE / 1024,
        "madvise reported success, so the mapping holding the buffer has at least one huge page");
  }

  /** The sj-7m file (26 MB, read whole) loads to exactly the floats in the file, tensor by tensor. */
  @Test
  void smallLlama2cFileLoadsTheFileBytes() throws IOException {
    Path path = SharedData.sj7m();
    LlamaModel model = ModelLoader.load(path);
    ByteBuffer file = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
    // The file order: the embedding after the 28-byte header, later tensors at their offsets from it.
    Tensor embedding = model.weights().tokenEmbedding();
    long base = embedding.address() - 28;
    LayerWeights last = model.weights().layers().get(model.config().nLayers() - 1);
    for (Tensor t : List.of(embedding, ((DenseF32Weight) last.wq()).values(), ((DenseF32Weight) last.w3()).values(),
        model.weights().finalNorm())) {
      long offset = t.address() - base;
      for (long i = 0; i < t.size(); i++) {
        assertEquals(file.getFloat((int) (offset + 4 * i)), t.getFloat(i), "float " + i + " at byte " + offset);
      }
    }
  }

  /** AnonHugePages (kB) of the mapping in /proc/self/smaps that holds {@code address}. */
  private static long anonHugePagesKb(long address) throws IOException {
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      if (Character.digit(line.charAt(0), 16) >= 0 && !Character.isUpperCase(line.charAt(0))) {  // "start-end perms ..."
        String[] range = line.substring(0, line.indexOf(' ')).split("-");
        inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
      } else if (inside && line.startsWith("AnonHugePages:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return 0;
  }
}
