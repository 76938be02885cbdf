package org.sparsej.model;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;

/**
 * Writes a model as a llama2.c checkpoint (the layout {@link Llama2cCheckpoint} reads): every linear as dense F32
 * (a pruned model's zeros stored as zeros). The caller picks the path; writing into a temporary name and renaming
 * is its business (see the prune command).
 */
public final class Llama2cWriter {
  private Llama2cWriter() {}

  public static void write(LlamaModel model, Path file) {
    LlamaConfig c = model.config();
    c.requirePlainLlama("the llama2.c writer");
    LlamaWeights w = model.weights();
    boolean tied = w.classifier() instanceof DenseF32Weight d && d.values() == w.tokenEmbedding();
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      ByteBuffer header = ByteBuffer.allocate(Llama2cCheckpoint.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      header.putInt(c.dim()).putInt(c.hiddenDim()).putInt(c.nLayers()).putInt(c.nHeads()).putInt(c.nKvHeads())
          .putInt(tied ? c.vocabSize() : -c.vocabSize()).putInt(c.seqLen());
      out.write(header.array());
      put(out, w.tokenEmbedding());
      List<LayerWeights> layers = w.layers();
      perLayer(out, layers, l -> l.attentionNorm());
      perLayer(out, layers, l -> l.wq().toDense());
      perLayer(out, layers, l -> l.wk().toDense());
      perLayer(out, layers, l -> l.wv().toDense());
      perLayer(out, layers, l -> l.wo().toDense());
      perLayer(out, layers, l -> l.ffnNorm());
      perLayer(out, layers, l -> l.w1().toDense());
      perLayer(out, layers, l -> l.w2().toDense());
      perLayer(out, layers, l -> l.w3().toDense());
      put(out, w.finalNorm());
      // freq_cis_real and freq_cis_imag [seq][head_size/2], which older readers expect and run.c skips.
      int half = c.headSize() / 2;
      ByteBuffer freqs = ByteBuffer.allocate(c.seqLen() * half * 4 * 2).order(ByteOrder.LITTLE_ENDIAN);
      for (int part = 0; part < 2; part++) {
        for (int pos = 0; pos < c.seqLen(); pos++) {
          for (int i = 0; i < half; i++) {
            double angle = pos / Math.pow(c.ropeTheta(), 2.0 * i / c.headSize());
            freqs.putFloat((float) (part == 0 ? Math.cos(angle) : Math.sin(angle)));
          }
        }
      }
      out.write(freqs.array());
      if (!tied) {
        put(out, w.classifier().toDense());
      }
    } catch (IOException e) {
      throw new SparsejException(file + ": cannot write: " + e.getMessage());
    }
  }

  private static void perLayer(OutputStream out, List<LayerWeights> layers, Function<LayerWeights, Tensor> part)
      throws IOException {
    for (LayerWeights l : layers) {
      put(out, part.apply(l));
    }
  }

  private static void put(OutputStream out, Tensor t) throws IOException {
    ByteBuffer b = t.bytes();
    byte[] chunk = new byte[1 << 16];
    while (b.hasRemaining()) {
      int n = Math.min(chunk.length, b.remaining());
      b.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }
}
