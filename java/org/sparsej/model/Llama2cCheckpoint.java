package org.sparsej.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.RopeStyle;
import org.sparsej.format.BoundedFile;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;

/**
 * Reads llama2.c checkpoints: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a negative vocab_size means the classifier is stored separately), then float32 tensors in run.c's order,
 * each stacked over layers. Tensors are not copied: each is memory-mapped, or for a small file a slice of the file
 * read whole ({@link BoundedFile#readWhole}). The file size must match the header exactly.
 */
public final class Llama2cCheckpoint {
  static final int HEADER_BYTES = 7 * 4;

  private Llama2cCheckpoint() {}

  public static LlamaModel load(Path file) {
    org.sparsej.util.InputPaths.requireRegularFile(file);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      long fileSize = channel.size();
      if (fileSize < HEADER_BYTES) {
        throw new SparsejException(file + ": truncated: " + fileSize + " bytes, a llama2.c header needs "
            + HEADER_BYTES);
      }
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      channel.read(header, 0);
      header.flip();
      LlamaConfig config = parseHeader(file, header);
      long expected = expectedFileSize(config);
      if (fileSize != expected) {
        throw new SparsejException(String.format("%s: %s or corrupt: header (%s) implies %d bytes, file has %d",
            file, fileSize < expected ? "truncated" : "has trailing data", config, expected, fileSize));
      }
      return new LlamaModel(config, mapWeights(new Mapper(channel, fileSize), config));
    } catch (NoSuchFileException e) {
      throw new SparsejException("model file not found: " + file);
    } catch (IOException e) {
      throw new SparsejException(file + ": cannot read: " + e.getMessage());
    }
  }

  private static LlamaConfig parseHeader(Path file, ByteBuffer header) {
    int dim = header.getInt();
    int hidden = header.getInt();
    int layers = header.getInt();
    int heads = header.getInt();
    int kvHeads = header.getInt();
    int vocab = header.getInt();
    int seq = header.getInt();
    int[] dims = {dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seq};
    for (int d : dims) {
      // Real models stay far below these; larger values mean this is not a llama2.c checkpoint.
      if (d <= 0 || d > (1 << 20)) {
        throw new SparsejException(file + ": not a llama2.c checkpoint (implausible header " + dim + "," + hidden
            + "," + layers + "," + heads + "," + kvHeads + "," + vocab + "," + seq + ")");
      }
    }
    try {
      return new LlamaConfig(dim, hidden, layers, heads, kvHeads, Math.abs(vocab), seq, vocab > 0, 1e-5f, 10000f,
          RopeStyle.INTERLEAVED);
    } catch (SparsejException e) {
      throw new SparsejException(file + ": " + e.getMessage());
    }
  }

  static long expectedFileSize(LlamaConfig c) {
    long floats = 0;
    for (long n : tensorSizes(c)) {
      floats += n;
    }
    return HEADER_BYTES + floats * 4;
  }

  /** Element counts in file order (the RoPE tables run.c no longer reads are included). */
  private static long[] tensorSizes(LlamaConfig c) {
    long dim = c.dim();
    long kv = c.kvDim();
    long hidden = c.hiddenDim();
    long layers = c.nLayers();
    return new long[] {
        c.vocabSize() * dim,            // token_embedding_table
        layers * dim,                   // rms_att_weight
        layers * dim * dim,             // wq
        layers * dim * kv,              // wk
        layers * dim * kv,              // wv
        layers * dim * dim,             // wo
        layers * dim,                   // rms_ffn_weight
        layers * hidden * dim,          // w1
        layers * dim * hidden,          // w2
        layers * hidden * dim,          // w3
        dim,                            // rms_final_weight
        (long) c.seqLen() * c.headSize(),  // freq_cis_real + freq_cis_imag, [seq][head_size/2] each
        c.sharedClassifier() ? 0 : c.vocabSize() * dim  // wcls
    };
  }

  private static LlamaWeights mapWeights(Mapper m, LlamaConfig c) throws IOException {
    int dim = c.dim();
    int kv = c.kvDim();
    int hidden = c.hiddenDim();
    int n = c.nLayers();
    Tensor embedding = m.next(c.vocabSize(), dim);
    Tensor[] attNorm = m.perLayer(n, dim);
    Tensor[] wq = m.perLayer(n, dim, dim);
    Tensor[] wk = m.perLayer(n, kv, dim);
    Tensor[] wv = m.perLayer(n, kv, dim);
    Tensor[] wo = m.perLayer(n, dim, dim);
    Tensor[] ffnNorm = m.perLayer(n, dim);
    Tensor[] w1 = m.perLayer(n, hidden, dim);
    Tensor[] w2 = m.perLayer(n, dim, hidden);
    Tensor[] w3 = m.perLayer(n, hidden, dim);
    Tensor finalNorm = m.next(dim);
    m.skip((long) c.seqLen() * c.headSize());
    LinearWeight classifier = new DenseF32Weight(c.sharedClassifier() ? embedding : m.next(c.vocabSize(), dim));
    List<LayerWeights> layers = new ArrayList<>();
    for (int l = 0; l < n; l++) {
      layers.add(new LayerWeights(attNorm[l], dense(wq[l]), dense(wk[l]), dense(wv[l]), dense(wo[l]), ffnNorm[l],
          dense(w1[l]), dense(w2[l]), dense(w3[l])));
    }
    return new LlamaWeights(embedding, layers, finalNorm, classifier);
  }

  private static LinearWeight dense(Tensor t) {
    return new DenseF32Weight(t);
  }

  /**
   * Maps consecutive F32 tensors from the file, one read-only mapping each (each under 2 GiB); a small file is read
   * whole once and each tensor is a slice of it.
   */
  private static final class Mapper {
    private final FileChannel channel;
    private final ByteBuffer whole;  // null: a large file, mapped tensor by tensor
    private long offset = HEADER_BYTES;

    Mapper(FileChannel channel, long fileSize) throws IOException {
      this.channel = channel;
      this.whole = fileSize <= BoundedFile.MAP_WHOLE ? BoundedFile.readWhole(channel, fileSize) : null;
    }

    Tensor next(int... shape) throws IOException {
      long bytes = 4;
      for (int d : shape) {
        bytes *= d;
      }
      if (bytes > Integer.MAX_VALUE) {
        throw new SparsejException("tensor of " + bytes + " bytes exceeds the 2 GiB limit of one mapping");
      }
      ByteBuffer buf = whole != null ? whole.slice((int) offset, (int) bytes).order(ByteOrder.LITTLE_ENDIAN)
          : channel.map(FileChannel.MapMode.READ_ONLY, offset, bytes);
      offset += bytes;
      return Tensor.wrap(buf, DType.F32, shape);
    }

    Tensor[] perLayer(int layers, int... shape) throws IOException {
      Tensor[] result = new Tensor[layers];
      for (int l = 0; l < layers; l++) {
        result[l] = next(shape);
      }
      return result;
    }

    void skip(long floats) {
      offset += floats * 4;
    }
  }
}
