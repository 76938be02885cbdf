package org.sparsej.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.AtomicOutput;
import org.sparsej.tensor.OffHeapMemory;
import org.sparsej.util.SparsejException;

/**
 * Writes llama2.c checkpoints of real model shapes filled with random weights, for benchmarks at real sizes.
 * The text such a model generates is noise; its speed is that of a trained model of the same shape.
 */
public final class SyntheticCheckpoint {
  /** Named shapes: dim, hidden, layers, heads, kv heads, vocab, context. */
  public static final Map<String, int[]> SHAPES = Map.of(
      "stories110m", new int[] {768, 2048, 12, 12, 12, 32000, 1024},
      "tinyllama-1.1b", new int[] {2048, 5632, 22, 32, 4, 32000, 2048},
      "llama2-7b", new int[] {4096, 11008, 32, 32, 32, 32000, 4096});

  private static final int CHUNK_FLOATS = 1 << 20;

  private SyntheticCheckpoint() {}

  /** A named shape, or "dim=..,hidden=..,layers=..,heads=..,kv_heads=..,vocab=..,seq=..". */
  public static LlamaConfig parseShape(String spec) {
    int[] d = SHAPES.get(spec.toLowerCase(Locale.ROOT));
    if (d == null) {
      d = parseDims(spec);
    }
    return new LlamaConfig(d[0], d[1], d[2], d[3], d[4], d[5], d[6], true, 1e-5f, 10000f, RopeStyle.INTERLEAVED);
  }

  private static int[] parseDims(String spec) {
    String[] keys = {"dim", "hidden", "layers", "heads", "kv_heads", "vocab", "seq"};
    int[] d = new int[keys.length];
    for (String part : spec.split(",")) {
      String[] kv = part.split("=", 2);
      int index = kv.length == 2 ? java.util.Arrays.asList(keys).indexOf(kv[0].trim()) : -1;
      if (index < 0) {
        throw new SparsejException("unknown shape '" + spec + "': use one of " + SHAPES.keySet()
            + " or dim=..,hidden=..,layers=..,heads=..,kv_heads=..,vocab=..,seq=..");
      }
      try {
        d[index] = Integer.parseInt(kv[1].trim());
      } catch (NumberFormatException e) {
        throw new SparsejException("shape value '" + part + "' is not an integer");
      }
    }
    for (int i = 0; i < keys.length; i++) {
      if (d[i] <= 0) {
        throw new SparsejException("shape '" + spec + "' needs a positive " + keys[i]);
      }
    }
    return d;
  }

  /** The size of the checkpoint {@link #write} writes for a shape. */
  public static long fileBytes(LlamaConfig c) {
    return Llama2cCheckpoint.HEADER_BYTES + 4 * (c.parameterCount() + (long) c.seqLen() * c.headSize());
  }

  /** Writes (or replaces) the checkpoint atomically. */
  public static void write(Path out, LlamaConfig c, long seed, LongConsumer progress) {
    write(out, true, c, seed, progress);
  }

  /** Writes the checkpoint atomically (see {@link AtomicOutput}); reports bytes written to progress. */
  public static void write(Path out, boolean replace, LlamaConfig c, long seed, LongConsumer progress) {
    AtomicOutput.requireSpace(out, fileBytes(c));
    AtomicOutput.file(out, replace, tmp -> writeTo(tmp, c, seed, progress));
  }

  private static void writeTo(Path tmp, LlamaConfig c, long seed, LongConsumer progress) throws IOException {
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer header = ByteBuffer.allocate(Llama2cCheckpoint.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      header.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
          .putInt(c.vocabSize()).putInt(c.seqLen()).flip();
      ch.write(header);
      Writer w = new Writer(ch, seed, progress);
      long layers = c.nLayers();
      long dim = c.dim();
      long kv = c.kvDim();
      long hidden = c.hiddenDim();
      w.uniform((long) c.vocabSize() * dim, 1.0f);      // embeddings: order-one values like a trained table
      w.constant(layers * dim, 1.0f);                  // attention norms
      w.uniform(layers * dim * dim, scale(dim));       // wq
      w.uniform(layers * kv * dim, scale(dim));        // wk
      w.uniform(layers * kv * dim, scale(dim));        // wv
      w.uniform(layers * dim * dim, scale(dim));       // wo
      w.constant(layers * dim, 1.0f);                  // ffn norms
      w.uniform(layers * hidden * dim, scale(dim));    // w1
      w.uniform(layers * dim * hidden, scale(hidden)); // w2
      w.uniform(layers * hidden * dim, scale(dim));    // w3
      w.constant(dim, 1.0f);                           // final norm
      w.ropeTables(c);
      w.flush();
    }
  }

  /** Uniform half-width giving unit-variance outputs for unit-variance inputs of the given fan-in. */
  private static float scale(long fanIn) {
    return (float) Math.sqrt(3.0 / fanIn);
  }

  /** Streams floats to the file in chunks; xorshift keeps multi-GB models quick to write. */
  private static final class Writer {
    private final FileChannel channel;
    private final ByteBuffer chunk = OffHeapMemory.directBuffer(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
    private final LongConsumer progress;
    private long state;
    private long written;

    Writer(FileChannel channel, long seed, LongConsumer progress) {
      this.channel = channel;
      this.state = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
      if (state == 0) {
        state = 1;
      }
      this.progress = progress;
    }

    void uniform(long count, float halfWidth) throws IOException {
      for (long i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >>> 7;
        state ^= state << 17;
        float u = (state >>> 40) / (float) (1L << 24);  // [0, 1)
        put((2f * u - 1f) * halfWidth);
      }
    }

    void constant(long count, float value) throws IOException {
      for (long i = 0; i < count; i++) {
        put(value);
      }
    }

    /** freq_cis_real then freq_cis_imag, [seq][head_size/2], as llama2.c's exporter wrote them. */
    void ropeTables(LlamaConfig c) throws IOException {
      int half = c.headSize() / 2;
      for (int part = 0; part < 2; part++) {
        for (int pos = 0; pos < c.seqLen(); pos++) {
          for (int i = 0; i < half; i++) {
            double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / c.headSize());
            put((float) (part == 0 ? Math.cos(angle) : Math.sin(angle)));
          }
        }
      }
    }

    private void put(float v) throws IOException {
      chunk.putFloat(v);
      if (!chunk.hasRemaining()) {
        flush();
      }
    }

    void flush() throws IOException {
      chunk.flip();
      while (chunk.hasRemaining()) {
        written += channel.write(chunk);
      }
      chunk.clear();
      progress.accept(written);
    }
  }
}
