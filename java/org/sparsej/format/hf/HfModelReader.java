package org.sparsej.format.hf;

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
import org.sparsej.util.OffHeapCollector;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Precision;
import org.sparsej.weights.StoredWeight;
import org.sparsej.weights.StoredWeight.Layout;
import org.sparsej.weights.WeightFormat;

/**
 * Loads a Hugging Face Llama directory: config.json plus single or sharded safetensors. F32 tensors are
 * memory-mapped as they are; F16/BF16 plain linear weights too (run on their own kernels), while F16/BF16
 * embeddings, norms and sparse values are widened to F32 off-heap. A linear weight is read as stored
 * ({@link StoredWeight}: plain, compressed-tensors sparse-bitmask or sparse-24-bitmask, int8 or not) and decoded
 * straight into the format that runs it ({@link WeightFormat#decode}): no dense F32 copy of a sparse or int8
 * weight is made on the way. Every tensor's shape is checked against config.json.
 */
public final class HfModelReader {
  /** Below this fraction of zeros a stored bitmask weight runs dense (see {@link WeightFormat}). */
  public static final double MIN_SPARSITY = WeightFormat.MIN_BITMASK_SPARSITY;

  private HfModelReader() {}

  /** How many bytes of blocks {@link #loadBlockByBlock} reads between collections. */
  private static final long COLLECT_BYTES = 768L << 20;

  public static LlamaModel load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new SparsejException(dir + ": not a directory");
    }
    HfConfig hf = HfConfig.read(dir.resolve("config.json"));
    CompressedTensors compression = CompressedTensors.parse(dir.resolve("config.json"), hf.compressionConfig(),
        hf.topLevelSparsityConfig());
    try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
      return new LlamaModel(hf.llama(), new Loader(ckpt, hf.llama(), compression).weights(hf));
    }
  }

  /**
   * The model with its blocks read from {@code dir} each time they are asked for, not at load: a pass over the
   * blocks (a streamed compression) then holds one block's widened F16/BF16 weights at a time instead of the whole
   * model in F32, and an F32 block's mapping dies with the block (a mapped page counts in the RSS while mapped).
   * The embedding, final norm and classifier are loaded now. Each read of a block opens the checkpoint again
   * (mappings outlive their channel), so nothing stays open.
   */
  public static LlamaModel loadBlockByBlock(Path dir) {
    LlamaModel eager;
    HfConfig hf = HfConfig.read(dir.resolve("config.json"));
    CompressedTensors compression = CompressedTensors.parse(dir.resolve("config.json"), hf.compressionConfig(),
        hf.topLevelSparsityConfig());
    LlamaConfig c = hf.llama();
    try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
      Loader loader = new Loader(ckpt, c, compression);
      eager = new LlamaModel(c, loader.weights(hf, 0));
      loader.layer(c.nLayers() - 1);  // a checkpoint missing the last block fails here, before any work
    }
    long blockBytes = 4L * ((long) c.dim() * (2L * c.dim() + 2L * c.kvDim() + 3L * c.hiddenDim()));
    // Blocks read before are off-heap (widened copies, mappings) and freed only when collected: a pass over all
    // blocks (validation, a summary) would otherwise hold them all, up to the JVM's direct-memory limit.
    OffHeapCollector collector = new OffHeapCollector(COLLECT_BYTES);
    List<LayerWeights> layers = new java.util.AbstractList<>() {
      @Override
      public LayerWeights get(int l) {
        java.util.Objects.checkIndex(l, c.nLayers());
        collector.dropped(blockBytes);
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
          return new Loader(ckpt, c, compression).layer(l);
        }
      }

      @Override
      public int size() {
        return c.nLayers();
      }
    };
    LlamaWeights w = eager.weights();
    return new LlamaModel(c, new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier()));
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
    final CompressedTensors compression;
    // a dense-stored pruned weight re-encoded sparse leaves its mapping and the encoder's buffers behind
    final OffHeapCollector reencoded = new OffHeapCollector(COLLECT_BYTES);

    Loader(HfCheckpoint ckpt, LlamaConfig c, CompressedTensors compression) {
      this.ckpt = ckpt;
      this.c = c;
      this.compression = compression;
    }

    LlamaWeights weights(HfConfig hf) {
      return weights(hf, c.nLayers());
    }

    /** The weights with the first {@code blocks} blocks loaded (the others left to the caller). */
    LlamaWeights weights(HfConfig hf, int blocks) {
      int dim = c.dim();
      Tensor embedding = f32(Names.EMBED, c.vocabSize(), dim);
      List<LayerWeights> layers = new ArrayList<>();
      for (int l = 0; l < blocks; l++) {
        layers.add(layer(l));
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

    LayerWeights layer(int l) {
      int dim = c.dim();
      String[] m = Names.linears(l);
      int[][] shapes = {{c.qDim(), dim}, {c.kvDim(), dim}, {c.kvDim(), dim}, {dim, c.qDim()}, {c.hiddenDim(), dim},
          {dim, c.hiddenDim()}, {c.hiddenDim(), dim}};
      LinearWeight[] w = new LinearWeight[7];
      for (int i = 0; i < 7; i++) {
        w[i] = linear(m[i], shapes[i][0], shapes[i][1]);
      }
      Tensor[] bias = new Tensor[3];
      if (c.qkvBias()) {  // Qwen2: q, k and v projections carry a bias
        int[] rows = {c.qDim(), c.kvDim(), c.kvDim()};
        for (int i = 0; i < 3; i++) {
          bias[i] = f32(m[i] + ".bias", rows[i]);
        }
      }
      return new LayerWeights(f32(Names.layer(l, "input_layernorm.weight"), dim), w[0], w[1], w[2], w[3],
          f32(Names.layer(l, "post_attention_layernorm.weight"), dim), w[4], w[5], w[6], bias[0], bias[1], bias[2]);
    }

    Tensor f32(String name, int... shape) {
      SafetensorsFile.Entry e = ckpt.require(name, toLongs(shape));
      return ckpt.fileOf(name).f32(e, shape);
    }

    /** A linear weight stored plain, sparse-compressed, int8-quantized, or both, in the format it runs in. */
    LinearWeight linear(String module, int rows, int cols) {
      try {
        StoredWeight s = stored(module, rows, cols);
        // dense-stored sparse weights (config.json's dense sparsity_config names them) run sparse again, each
        // decided by its own zeros; one weight at a time, never a dense copy of the model
        if (!compression.sparseTarget(module)) {
          return WeightFormat.decode(s);
        }
        LinearWeight w = WeightFormat.decodeSparseIfPruned(s);
        if (w.format().storedLayout() != s.layout()) {
          reencoded.dropped(s.values().byteSize());
        }
        return w;
      } catch (SparsejException e) {
        String m = e.getMessage();
        throw m.startsWith(ckpt.dir().toString()) ? e : new SparsejException(ckpt.dir() + ": " + module + ": " + m);
      }
    }

    StoredWeight stored(String module, int rows, int cols) {
      Tensor values;
      Tensor bitmask = null;
      Layout layout = Layout.DENSE;
      if (ckpt.has(module + ".compressed")) {
        layout = sparseLayout(module, rows, cols);
        int stride = StoredWeight.maskStride(cols);
        SafetensorsFile.Entry mask = ckpt.require(module + ".bitmask", rows, stride);
        if (mask.dtype().bytes() != 1) {
          throw new SparsejException(ckpt.fileOf(mask.name()).path() + ": " + mask.name() + " has dtype "
              + mask.dtype() + ", expected U8");
        }
        bitmask = Tensor.wrap(ckpt.fileOf(mask.name()).map(mask), DType.I8, rows, stride);
        values = layout == Layout.TWO_FOUR ? tensor(module + ".compressed", rows, cols / 2)
            : tensor(module + ".compressed", -1);
      } else if (ckpt.has(module + ".weight_packed")) {
        values = unpacked(module, rows, cols);
      } else {
        values = denseValues(module + ".weight", rows, cols);
      }
      boolean int8 = values.dtype() == DType.I8;
      if (!int8) {
        if (ckpt.has(module + ".weight_scale")) {
          throw new SparsejException(ckpt.dir() + ": " + module + " has weight_scale but its weight is not int8 "
              + "(only int8 quantization is supported)");
        }
        StoredWeight s = new StoredWeight(rows, cols, layout, values, bitmask, null, 0, Precision.F32);
        checkRowOffsets(module, s);
        return s;
      }
      Scales scales = readScales(module, rows, cols);
      StoredWeight s = new StoredWeight(rows, cols, layout, values, bitmask, scales.values(), scales.groups(),
          compression.int8Precision(module));
      checkRowOffsets(module, s);
      return scales.zeroPoints() == null ? s : subtractZeroPoints(s, scales.zeroPoints());
    }

    /**
     * compressed-tensors "pack-quantized" with 8 bits (llm-compressor's default for W8A16): weight_packed I32
     * [rows][ceil(cols/4)] holds q + 128 as unsigned bytes, column c at byte c % 4 of word c / 4 (little-endian), so
     * row by row the bytes are the columns in order; q is each byte with its top bit flipped.
     */
    Tensor unpacked(String module, int rows, int cols) {
      String name = module + ".weight_packed";
      SafetensorsFile.Entry e = ckpt.require(name, rows, (cols + 3) / 4);
      SafetensorsFile f = ckpt.fileOf(name);
      if (e.dtype() != StDType.I32) {
        throw new SparsejException(f.path() + ": " + name + " has dtype " + e.dtype() + ", expected I32");
      }
      if (ckpt.has(module + ".weight_shape")) {
        long[] shape = ckpt.fileOf(module + ".weight_shape").longs(ckpt.entry(module + ".weight_shape"));
        if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
          throw new SparsejException(f.path() + ": " + module + ".weight_shape is " + java.util.Arrays.toString(shape)
              + ", config.json implies [" + rows + ", " + cols + "]");
        }
      }
      ByteBuffer packed = f.map(e);
      int stride = 4 * ((cols + 3) / 4);
      Tensor q = Tensor.allocate(DType.I8, rows, cols);
      ByteBuffer out = q.bytes();
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          out.put(r * cols + c, (byte) (packed.get(r * stride + c) ^ 0x80));
        }
      }
      return q;
    }

    /** The layout config.json declares for a module that has compressed tensors; its shape tensor checked. */
    Layout sparseLayout(String module, int rows, int cols) {
      Layout layout = compression.sparseLayout();
      if (layout == null) {
        throw new SparsejException(ckpt.dir() + ": " + module + " is sparse-compressed but config.json declares "
            + "no sparse-bitmask or sparse-24-bitmask sparsity_config");
      }
      if (layout == Layout.TWO_FOUR && cols % 4 != 0) {
        throw new SparsejException(ckpt.dir() + ": " + module + " is 2:4 but has " + cols + " columns");
      }
      SafetensorsFile.Entry shapeE = ckpt.require(module + ".shape", (long[]) null);
      long[] shape = ckpt.fileOf(module + ".shape").longs(shapeE);
      if (shape.length != 2 || shape[0] != rows || shape[1] != cols) {
        throw new SparsejException(ckpt.fileOf(module + ".shape").path() + ": " + module + ".shape is "
            + java.util.Arrays.toString(shape) + ", config.json implies [" + rows + ", " + cols + "]");
      }
      return layout;
    }

    /** sparse-bitmask's row_offsets must agree with the bitmask (which is what the kernels index by). */
    void checkRowOffsets(String module, StoredWeight s) {
      if (s.layout() != Layout.BITMASK) {
        return;
      }
      SafetensorsFile.Entry e = ckpt.require(module + ".row_offsets", s.rows());
      long[] offsets = ckpt.fileOf(e.name()).longs(e);
      int[] starts = s.rowStarts();
      for (int r = 0; r < s.rows(); r++) {
        if (offsets[r] != starts[r]) {
          throw new SparsejException(ckpt.fileOf(e.name()).path() + ": " + module + ": row_offsets[" + r + "] is "
              + offsets[r] + ", the bitmask gives " + starts[r]);
        }
      }
    }

    /** A plain linear weight's values: F16/BF16 mapped as stored (they run on their own kernels), else tensor(). */
    Tensor denseValues(String name, int rows, int cols) {
      SafetensorsFile.Entry e = ckpt.require(name, rows, cols);
      if (e.dtype() == StDType.BF16 || e.dtype() == StDType.F16) {
        DType d = e.dtype() == StDType.BF16 ? DType.BF16 : DType.F16;
        return Tensor.wrap(ckpt.fileOf(name).map(e), d, rows, cols);
      }
      return tensor(name, rows, cols);
    }

    /** A weight's values: I8 and F32 mapped as stored, F16/BF16 widened to F32; shape -1 = any 1-D. */
    Tensor tensor(String name, int... shape) {
      SafetensorsFile.Entry e = shape[0] < 0 ? ckpt.require(name, (long[]) null) : ckpt.require(name, toLongs(shape));
      SafetensorsFile f = ckpt.fileOf(name);
      if (shape[0] < 0) {
        if (e.shape().length != 1) {
          throw new SparsejException(f.path() + ": " + name + " must be 1-D, has shape " + e.shapeString());
        }
        shape = new int[] {Math.toIntExact(e.elementCount())};
      }
      switch (e.dtype()) {
        case I8: return Tensor.wrap(f.map(e), DType.I8, shape);
        case F32: case F16: case BF16: return f.f32(e, shape);
        default:
          throw new SparsejException(f.path() + ": " + name + " has dtype " + e.dtype()
              + " (supported: F32, F16, BF16, I8)");
      }
    }

    record Scales(Tensor values, int groups, ByteBuffer zeroPoints) {}

    /** weight_scale as F32 [rows][groups] (F16 kept for group-32 Q8_0; BF16 widened; one scalar spread). */
    Scales readScales(String module, int rows, int cols) {
      String scaleName = module + ".weight_scale";
      if (!ckpt.has(scaleName)) {
        throw new SparsejException(ckpt.dir() + ": " + module + " is int8 but " + scaleName + " is missing");
      }
      SafetensorsFile.Entry s = ckpt.entry(scaleName);
      SafetensorsFile f = ckpt.fileOf(scaleName);
      long[] sh = s.shape();
      int groups;
      if (sh.length == 2 && sh[0] == rows && sh[1] >= 1 && cols % sh[1] == 0) {
        groups = (int) sh[1];
      } else if (s.elementCount() == 1) {
        groups = -1;  // one scale for the whole tensor: spread to per-row below
      } else {
        throw new SparsejException(f.path() + ": " + scaleName + " has shape " + s.shapeString() + ", expected ["
            + rows + ", groups] with groups dividing " + cols);
      }
      if (s.dtype() != StDType.F32 && s.dtype() != StDType.F16 && s.dtype() != StDType.BF16) {
        throw new SparsejException(f.path() + ": " + scaleName + " has dtype " + s.dtype()
            + " (supported: F32, F16, BF16)");
      }
      Tensor scales;
      if (groups < 0) {
        float v = f.f32(s, 1).getFloat(0);
        scales = Tensor.allocate(DType.F32, rows, 1).fill(v);
        groups = 1;
      } else if (s.dtype() == StDType.F16) {
        scales = Tensor.wrap(f.map(s), DType.F16, rows, groups);
      } else {
        scales = f.f32(s, rows, groups);
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
      return new Scales(scales, groups, zeros);
    }
  }

  /** Asymmetric int8 (rare in compressed-tensors): W = (q - zero_point) · scale, dequantized to dense F32. */
  static StoredWeight subtractZeroPoints(StoredWeight s, ByteBuffer zeroPoints) {
    StoredWeight d = s.toDenseLayout();
    int rows = s.rows();
    int cols = s.cols();
    int g = cols / s.groups();
    Tensor f = Tensor.allocate(DType.F32, rows, cols);
    ByteBuffer q = d.values().bytes();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        int v = q.get(r * cols + c) - zeroPoints.get(r * s.groups() + c / g);
        f.setFloat((long) r * cols + c, v * s.scale(r, c / g));
      }
    }
    return StoredWeight.dense(f, null, 0, Precision.F32);
  }

  static long[] toLongs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
