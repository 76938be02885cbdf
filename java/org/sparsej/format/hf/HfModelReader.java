package org.sparsej.format.hf;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.format.safetensors.SafetensorsFile;
import org.sparsej.format.safetensors.StDType;
import org.sparsej.model.LayerWeights;
import org.sparsej.model.LlamaConfig;
import org.sparsej.model.LlamaModel;
import org.sparsej.model.LlamaWeights;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;

/**
 * Loads a Hugging Face Llama directory: config.json plus single or sharded safetensors. F32 tensors are
 * memory-mapped as they are; F16/BF16 are widened to F32 off-heap; compressed-tensors weights (sparse-bitmask,
 * int8) are decoded (see {@link CompressedTensors}). Every tensor's shape is checked against config.json.
 */
public final class HfModelReader {
  /** Turns a decoded compressed weight into the in-memory format the backends run. */
  public interface WeightFactory {
    /** An int8 weight with scales: the default keeps group-32 f16 scales as Q8_0 (lossless), else dequantizes. */
    default LinearWeight int8(CompressedTensors.Int8 q) {
      if (q.groupSize() == Q8_0Weight.BLOCK && q.scaleType() == StDType.F16 && q.zeroPoints() == null) {
        return HfModelReader.toQ8_0(q);
      }
      return new DenseF32Weight(CompressedTensors.dequantize(q));
    }

    /**
     * A float weight stored as sparse-bitmask: kept sparse, so the sparse kernels run it with the same values,
     * when at least {@link HfModelReader#MIN_SPARSITY} of it is zeros; denser ones run faster as dense F32.
     */
    default LinearWeight sparseF32(Tensor dense, CompressedTensors.Bitmask stored) {
      double sparsity = 1.0 - (double) stored.nonZeros() / ((long) stored.rows() * stored.cols());
      return sparsity >= MIN_SPARSITY ? BitmaskSparseWeight.fromDense(dense, Precision.F32) : new DenseF32Weight(dense);
    }
  }

  /** Below this fraction of zeros the bitmask kernels save too few bytes to beat dense F32 (docs/benchmarks.md). */
  public static final double MIN_SPARSITY = 0.3;

  public static final WeightFactory DEFAULT_WEIGHTS = new WeightFactory() {};

  private HfModelReader() {}

  public static LlamaModel load(Path dir) {
    return load(dir, DEFAULT_WEIGHTS);
  }

  public static LlamaModel load(Path dir, WeightFactory factory) {
    if (!Files.isDirectory(dir)) {
      throw new SparsejException(dir + ": not a directory");
    }
    HfConfig hf = HfConfig.read(dir.resolve("config.json"));
    CompressionSpec compression = CompressionSpec.parse(dir.resolve("config.json"), hf.compressionConfig());
    try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
      return new LlamaModel(hf.llama(), new Loader(ckpt, hf.llama(), compression, factory).weights(hf));
    }
  }

  /** Standard Hugging Face tensor names of a Llama model. */
  public static final class Names {
    public static final String EMBED = "model.embed_tokens.weight";
    public static final String NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    private Names() {}

    public static String layer(int l, String rest) {
      return "model.layers." + l + "." + rest;
    }

    /** Module names (without ".weight") of a layer's linear weights, in LayerWeights order wq wk wv wo w1 w2 w3. */
    public static String[] linears(int l) {
      String p = "model.layers." + l + ".";
      return new String[] {p + "self_attn.q_proj", p + "self_attn.k_proj", p + "self_attn.v_proj",
          p + "self_attn.o_proj", p + "mlp.gate_proj", p + "mlp.down_proj", p + "mlp.up_proj"};
    }
  }

  private static final class Loader {
    final HfCheckpoint ckpt;
    final LlamaConfig c;
    final CompressionSpec compression;
    final WeightFactory factory;

    Loader(HfCheckpoint ckpt, LlamaConfig c, CompressionSpec compression, WeightFactory factory) {
      this.ckpt = ckpt;
      this.c = c;
      this.compression = compression;
      this.factory = factory;
    }

    LlamaWeights weights(HfConfig hf) {
      int dim = c.dim();
      Tensor embedding = f32(Names.EMBED, c.vocabSize(), dim);
      List<LayerWeights> layers = new ArrayList<>();
      for (int l = 0; l < c.nLayers(); l++) {
        String[] m = Names.linears(l);
        int[][] shapes = {{dim, dim}, {c.kvDim(), dim}, {c.kvDim(), dim}, {dim, dim}, {c.hiddenDim(), dim},
            {dim, c.hiddenDim()}, {c.hiddenDim(), dim}};
        LinearWeight[] w = new LinearWeight[7];
        for (int i = 0; i < 7; i++) {
          w[i] = linear(m[i], shapes[i][0], shapes[i][1]);
        }
        layers.add(new LayerWeights(f32(Names.layer(l, "input_layernorm.weight"), dim), w[0], w[1], w[2], w[3],
            f32(Names.layer(l, "post_attention_layernorm.weight"), dim), w[4], w[5], w[6]));
      }
      Tensor norm = f32(Names.NORM, dim);
      LinearWeight classifier;
      if (hf.tiedEmbeddings() && !ckpt.has(Names.LM_HEAD) && !ckpt.has("lm_head.compressed")) {
        classifier = new DenseF32Weight(embedding);
      } else {
        if (!ckpt.has(Names.LM_HEAD) && !ckpt.has("lm_head.compressed")) {
          throw new SparsejException(ckpt.dir() + ": tensor 'lm_head.weight' is missing (and config.json does "
              + "not set tie_word_embeddings)");
        }
        classifier = linear("lm_head", c.vocabSize(), dim);
      }
      return new LlamaWeights(embedding, layers, norm, classifier);
    }

    Tensor f32(String name, int... shape) {
      SafetensorsFile.Entry e = ckpt.require(name, toLongs(shape));
      return ckpt.fileOf(name).f32(e, shape);
    }

    /** A linear weight stored plain, bitmask-compressed, int8-quantized, or both. */
    LinearWeight linear(String module, int rows, int cols) {
      String where = ckpt.dir() + ": " + module;
      Tensor dense;          // F32, or I8 when quantized
      CompressedTensors.Bitmask bitmask = null;
      if (ckpt.has(module + ".compressed")) {
        bitmask = readBitmask(module, rows, cols);
        dense = CompressedTensors.decompress(bitmask, where);
      } else {
        String name = module + ".weight";
        SafetensorsFile.Entry e = ckpt.require(name, rows, cols);
        dense = e.dtype() == StDType.I8
            ? Tensor.wrap(ckpt.fileOf(name).map(e), DType.I8, rows, cols)
            : ckpt.fileOf(name).f32(e, rows, cols);
      }
      if (dense.dtype() == DType.I8) {
        return factory.int8(readInt8(module, rows, cols, dense.bytes()));
      }
      if (ckpt.has(module + ".weight_scale")) {
        throw new SparsejException(where + ": has weight_scale but its weight is not int8 (only int8 "
            + "quantization is supported)");
      }
      return bitmask != null ? factory.sparseF32(dense, bitmask) : new DenseF32Weight(dense);
    }

    CompressedTensors.Bitmask readBitmask(String module, int rows, int cols) {
      if (!compression.sparseBitmask()) {
        throw new SparsejException(ckpt.dir() + ": " + module + " is bitmask-compressed but config.json declares "
            + "no sparse-bitmask sparsity_config");
      }
      SafetensorsFile.Entry shapeE = ckpt.require(module + ".shape", (long[]) null);
      long[] shape = ckpt.fileOf(module + ".shape").longs(shapeE);
      if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
        throw new SparsejException(ckpt.fileOf(module + ".shape").path() + ": " + module + ".shape is "
            + java.util.Arrays.toString(shape) + ", config.json implies [" + rows + ", " + cols + "]");
      }
      SafetensorsFile.Entry values = ckpt.require(module + ".compressed", (long[]) null);
      if (values.shape().length != 1) {
        throw new SparsejException(ckpt.fileOf(values.name()).path() + ": " + values.name() + " must be 1-D, has "
            + "shape " + values.shapeString());
      }
      StDType vt = values.dtype();
      if (vt != StDType.F32 && vt != StDType.F16 && vt != StDType.BF16 && vt != StDType.I8) {
        throw new SparsejException(ckpt.fileOf(values.name()).path() + ": " + values.name() + " has dtype " + vt
            + " (supported: F32, F16, BF16, I8)");
      }
      SafetensorsFile.Entry mask = ckpt.require(module + ".bitmask", rows,
          CompressedTensors.Bitmask.maskStride(cols));
      if (mask.dtype().bytes() != 1) {
        throw new SparsejException(ckpt.fileOf(mask.name()).path() + ": " + mask.name() + " has dtype "
            + mask.dtype() + ", expected U8");
      }
      SafetensorsFile.Entry offsets = ckpt.require(module + ".row_offsets", rows);
      return new CompressedTensors.Bitmask(rows, cols, vt, ckpt.fileOf(values.name()).map(values),
          ckpt.fileOf(mask.name()).map(mask), ckpt.fileOf(offsets.name()).longs(offsets));
    }

    CompressedTensors.Int8 readInt8(String module, int rows, int cols, ByteBuffer values) {
      String scaleName = module + ".weight_scale";
      if (!ckpt.has(scaleName)) {
        throw new SparsejException(ckpt.dir() + ": " + module + " is int8 but " + scaleName + " is missing");
      }
      SafetensorsFile.Entry s = ckpt.entry(scaleName);
      SafetensorsFile f = ckpt.fileOf(scaleName);
      long[] sh = s.shape();
      long count = s.elementCount();
      int groups;
      if (sh.length == 2 && sh[0] == rows && sh[1] >= 1 && cols % sh[1] == 0) {
        groups = (int) sh[1];
      } else if (count == 1) {
        groups = -1;  // one scale for the whole tensor: expanded to per-row below
      } else {
        throw new SparsejException(f.path() + ": " + scaleName + " has shape " + s.shapeString() + ", expected ["
            + rows + ", groups] with groups dividing " + cols);
      }
      if (s.dtype() != StDType.F32 && s.dtype() != StDType.F16 && s.dtype() != StDType.BF16) {
        throw new SparsejException(f.path() + ": " + scaleName + " has dtype " + s.dtype()
            + " (supported: F32, F16, BF16)");
      }
      ByteBuffer scales = f.map(s);
      if (groups < 0) {
        ByteBuffer perRow = CompressedTensors.direct((long) rows * s.dtype().bytes());
        for (int r = 0; r < rows; r++) {
          for (int b = 0; b < s.dtype().bytes(); b++) {
            perRow.put(r * s.dtype().bytes() + b, scales.get(b));
          }
        }
        scales = perRow;
        groups = 1;
      }
      ByteBuffer zeros = null;
      String zpName = module + ".weight_zero_point";
      if (ckpt.has(zpName)) {
        SafetensorsFile.Entry z = ckpt.require(zpName, rows, groups);
        if (z.dtype() != StDType.I8) {
          throw new SparsejException(ckpt.fileOf(zpName).path() + ": " + zpName + " has dtype " + z.dtype()
              + ", expected I8");
        }
        zeros = ckpt.fileOf(zpName).map(z);
      }
      return new CompressedTensors.Int8(rows, cols, values, s.dtype(), scales, groups, zeros);
    }
  }

  /** Repacks int8 values with group-32 f16 scales into Q8_0 blocks: the same numbers, bit for bit. */
  static Q8_0Weight toQ8_0(CompressedTensors.Int8 q) {
    int nb = q.cols() / Q8_0Weight.BLOCK;
    long bytes = Q8_0Weight.bytesFor(q.rows(), q.cols());
    ByteBuffer out = CompressedTensors.direct(bytes);
    for (int r = 0; r < q.rows(); r++) {
      for (int k = 0; k < nb; k++) {
        int p = (r * nb + k) * Q8_0Weight.BLOCK_BYTES;
        out.putShort(p, q.scales().getShort(2 * (r * nb + k)));
        for (int j = 0; j < Q8_0Weight.BLOCK; j++) {
          out.put(p + 2 + j, q.values().get(r * q.cols() + k * Q8_0Weight.BLOCK + j));
        }
      }
    }
    return new Q8_0Weight(Tensor.wrap(out, DType.I8, (int) bytes), q.rows(), q.cols());
  }

  static long[] toLongs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }

  /** What config.json's compressed-tensors block declares; only what the reader needs to check. */
  record CompressionSpec(boolean sparseBitmask, boolean quantized) {
    static CompressionSpec parse(Path configFile, JsonNode q) {
      if (q == null) {
        return new CompressionSpec(false, false);
      }
      String method = q.path("quant_method").asText("compressed-tensors");
      if (!method.equals("compressed-tensors")) {
        throw new SparsejException(configFile + ": quantization method '" + method + "' is not supported (SparseJ "
            + "reads compressed-tensors)");
      }
      JsonNode sparsity = q.path("sparsity_config");
      boolean bitmask = false;
      if (sparsity.isObject() && sparsity.size() > 0) {
        String format = sparsity.path("format").asText("");
        if (format.equals("sparse-bitmask")) {
          bitmask = true;
        } else if (!format.equals("dense")) {
          throw new SparsejException(configFile + ": sparsity format '" + format + "' is not supported "
              + "(sparse-bitmask and dense are)");
        }
      }
      boolean quantized = false;
      JsonNode groups = q.path("config_groups");
      if (groups.isObject() && groups.size() > 0) {
        String format = q.path("format").asText("");
        if (!format.equals("int-quantized") && !format.equals("naive-quantized") && !format.equals("dense")) {
          throw new SparsejException(configFile + ": quantization format '" + format + "' is not supported "
              + "(int-quantized is)");
        }
        for (JsonNode g : groups) {
          JsonNode w = g.path("weights");
          if (w.isObject() && (w.path("num_bits").asInt(8) != 8 || !w.path("type").asText("int").equals("int"))) {
            throw new SparsejException(configFile + ": weights of " + w.path("num_bits").asInt() + "-bit "
                + w.path("type").asText() + " are not supported (8-bit int is)");
          }
        }
        quantized = true;
      }
      return new CompressionSpec(bitmask, quantized);
    }
  }
}
