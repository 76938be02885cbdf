package org.sparsej.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sparsej.fuzz.Fuzz.Bytes;

/**
 * Structure-aware inputs for the binary formats: each method walks a valid seed file into its fields and writes it
 * again through {@link Fuzz}, so any field (a count, a string length, a type id, a dimension, an offset, the header
 * length) can take another value while the rest of the file stays well formed.
 */
final class BinaryInputs {
  /** GGUF value type ids and the byte widths of the scalar ones (0 for string and array). */
  private static final int STRING = 8;
  private static final int ARRAY = 9;
  private static final int[] WIDTH = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  private static final List<String> GGUF_KEYS = List.of("general.architecture", "general.alignment",
      "llama.context_length", "llama.embedding_length", "llama.block_count", "llama.feed_forward_length",
      "llama.attention.head_count", "llama.attention.head_count_kv", "llama.rope.dimension_count",
      "llama.attention.layer_norm_rms_epsilon", "llama.rope.freq_base", "llama.vocab_size",
      "llama.rope.scaling.type", "llama.rope.scaling.factor", "tokenizer.ggml.model", "tokenizer.ggml.tokens",
      "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.bos_token_id",
      "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.pre", "qwen2", "gpt2",
      "llama", "token_embd.weight", "output.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight");

  private BinaryInputs() {}

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static String string(ByteBuffer in) {
    byte[] b = new byte[(int) in.getLong()];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private static void string(Bytes out, String s, Fuzz f) {
    byte[] b = f.text(s, GGUF_KEYS).getBytes(StandardCharsets.UTF_8);
    out.le(f.value(b.length), 8).raw(b);
  }

  /** One metadata value of a type: its scalar bytes, string, or array (element type, count, elements). */
  private static void value(ByteBuffer in, int type, Bytes out, Fuzz f) {
    if (type == STRING) {
      string(out, string(in), f);
    } else if (type == ARRAY) {
      int elem = in.getInt();
      long count = in.getLong();
      out.le(f.i32(elem), 4);
      // Elements are dropped or repeated like entries, and the count written is the seed's unless mutated.
      Bytes elems = new Bytes();
      long written = 0;
      for (long i = 0; i < count; i++) {
        int start = in.position();
        skip(in, elem);
        byte[] raw = Arrays.copyOfRange(in.array(), start, in.position());
        for (int c = (i < 8 ? f.copies() : 1); c > 0; c--) {
          value(le(raw), elem, elems, f);
          written++;
        }
      }
      out.le(f.value(written), 8).raw(elems.toByteArray());
    } else if (type == 6) {
      out.le(Float.floatToRawIntBits(f.f32(in.getFloat())), 4);
    } else {
      int w = WIDTH[type];
      long v = w == 1 ? in.get() : w == 2 ? in.getShort() : w == 4 ? in.getInt() : in.getLong();
      out.le(f.value(v), w);
    }
  }

  /** Moves past one value of a type without writing it (to find its bytes). */
  private static void skip(ByteBuffer in, int type) {
    if (type == STRING) {
      string(in);
    } else if (type == ARRAY) {
      int elem = in.getInt();
      for (long i = in.getLong(); i > 0; i--) {
        skip(in, elem);
      }
    } else {
      in.position(in.position() + WIDTH[type]);
    }
  }

  /** A GGUF file: header, metadata, tensor infos (dims, type, offset), padding, data. */
  static byte[] gguf(byte[] seed, Fuzz f) {
    ByteBuffer in = le(seed);
    int magic = in.getInt();
    int version = in.getInt();
    long tensors = in.getLong();
    long kvs = in.getLong();
    Bytes meta = new Bytes();
    long kvWritten = 0;
    int alignment = 32;
    for (long i = 0; i < kvs; i++) {
      int start = in.position();
      String key = string(in);
      int type = in.getInt();
      if (key.equals("general.alignment")) {
        alignment = in.getInt(in.position());
      }
      skip(in, type);
      byte[] raw = Arrays.copyOfRange(seed, start, in.position());
      for (int c = f.copies(); c > 0; c--) {
        ByteBuffer r = le(raw);
        string(meta, string(r), f);
        int t = r.getInt();
        meta.le(f.i32(t), 4);
        value(r, t, meta, f);
        kvWritten++;
      }
    }
    Bytes infos = new Bytes();
    long infosWritten = 0;
    for (long i = 0; i < tensors; i++) {
      String name = string(in);
      int dims = in.getInt();
      long[] d = new long[dims];
      for (int k = 0; k < dims; k++) {
        d[k] = in.getLong();
      }
      int type = in.getInt();
      long offset = in.getLong();
      for (int c = f.copies(); c > 0; c--) {
        string(infos, name, f);
        infos.le(f.i32(dims), 4);
        for (long dk : d) {
          infos.le(f.value(dk), 8);
        }
        infos.le(f.i32(type), 4).le(f.value(offset), 8);
        infosWritten++;
      }
    }
    long dataStart = (in.position() + alignment - 1) / alignment * alignment;
    Bytes out = new Bytes().le(f.i32(magic), 4).le(f.i32(version), 4).le(f.value(infosWritten), 8)
        .le(f.value(kvWritten), 8).raw(meta.toByteArray()).raw(infos.toByteArray());
    long pad = Math.floorMod(f.value(Math.floorMod(-out.size(), alignment)), 64L);
    out.raw(new byte[(int) pad]).raw(Arrays.copyOfRange(seed, (int) Math.min(dataStart, seed.length), seed.length));
    return f.maybeTruncate(out.toByteArray());
  }

  /** A llama2.c checkpoint: seven int32 header fields (a negative vocabulary means an unshared classifier), floats. */
  static byte[] llama2c(byte[] seed, Fuzz f) {
    ByteBuffer in = le(seed);
    Bytes out = new Bytes();
    for (int i = 0; i < 7; i++) {
      out.le(f.i32(in.getInt()), 4);
    }
    out.raw(Arrays.copyOfRange(seed, 28, seed.length));
    return f.maybeTruncate(out.toByteArray());
  }

  /** A llama2.c tokenizer.bin: the longest token's length, then per token its score, length and bytes. */
  static byte[] tokenizerBin(byte[] seed, Fuzz f) {
    ByteBuffer in = le(seed);
    Bytes out = new Bytes().le(f.i32(in.getInt()), 4);
    List<String> seen = new ArrayList<>();
    while (in.remaining() >= 8) {
      float score = in.getFloat();
      byte[] b = new byte[in.getInt()];
      in.get(b);
      String piece = new String(b, StandardCharsets.ISO_8859_1);  // bytes kept as they are
      for (int c = f.copies(); c > 0; c--) {
        byte[] p = f.text(piece, seen).getBytes(StandardCharsets.ISO_8859_1);
        out.le(Float.floatToRawIntBits(f.f32(score)), 4).le(f.i32(p.length), 4).raw(p);
      }
      if (seen.size() < 64) {
        seen.add(piece);
      }
    }
    return f.maybeTruncate(out.toByteArray());
  }

  /** A safetensors file: header length, JSON header (tree-mutated), padding to 8 bytes, data. */
  static byte[] safetensors(byte[] seed, Fuzz f, List<String> dict) {
    ByteBuffer in = le(seed);
    int n = (int) in.getLong();
    byte[] header;
    try {
      header = f.json(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
          Arrays.copyOfRange(seed, 8, 8 + n)), dict);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    int pad = (int) Math.floorMod(f.value(Math.floorMod(-(8 + header.length), 8)), 16L);
    byte[] spaces = new byte[pad];
    Arrays.fill(spaces, (byte) ' ');
    Bytes out = new Bytes().le(f.value(header.length + pad), 8).raw(header).raw(spaces)
        .raw(Arrays.copyOfRange(seed, 8 + n, seed.length));
    return f.maybeTruncate(out.toByteArray());
  }
}
