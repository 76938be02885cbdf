package org.sparsej.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.sparsej.fuzz.Fuzz.Bytes;
import org.sparsej.tokenizer.Vocabulary;

/**
 * SentencePiece tokenizer.model files (a ModelProto protobuf) written from a vocabulary: the pieces (text, score,
 * type), the trainer spec (BPE, unk/bos/eos ids) and the normalizer spec SparseJ accepts. With a {@link Fuzz}, every
 * tag, varint, length, string and float of the message tree may be mutated, and enclosing lengths follow what was
 * written inside them, so a mutation deep in a piece still reaches the piece's parser.
 */
final class SentencePieceInputs {
  private static final List<String> NAMES = List.of("identity", "nmt_nfkc", "nfkc", "<unk>", "<s>", "</s>",
      "<0x41>", "\u2581", "\u2581a");

  private SentencePieceInputs() {}

  /** The tokenizer.model of vocabulary v, through f ({@link Fuzz#none} for the file as it is). */
  static byte[] model(Vocabulary v, Fuzz f) {
    Proto top = new Proto(f);
    for (int i = 0; i < v.tokens().size(); i++) {
      for (int c = f.copies(); c > 0; c--) {
        Proto piece = new Proto(f).string(1, v.tokens().get(i)).float32(2, v.scores()[i])
            .varint(3, v.types()[i]);
        top.message(1, piece);
      }
    }
    top.message(2, new Proto(f).varint(3, 2).varint(40, 0).varint(41, 1).varint(42, 2));
    top.message(3, new Proto(f).string(1, "identity").varint(3, 1).varint(4, 0));
    return top.out.toByteArray();
  }

  /** One protobuf message being written; each field's key, value and length pass through the fuzzer. */
  private static final class Proto {
    final Bytes out = new Bytes();
    final Fuzz f;

    Proto(Fuzz f) {
      this.f = f;
    }

    private long v(long x) {
      return f.value(x);
    }

    private void rawVarint(long x) {
      while ((x & ~0x7fL) != 0) {
        out.le((x & 0x7f) | 0x80, 1);
        x >>>= 7;
      }
      out.le(x, 1);
    }

    private void key(int field, int wire) {
      rawVarint(v(((long) field << 3) | wire));
    }

    Proto varint(int field, long x) {
      key(field, 0);
      rawVarint(v(x));
      return this;
    }

    Proto float32(int field, float x) {
      key(field, 5);
      out.le(Float.floatToRawIntBits(f.f32(x)), 4);
      return this;
    }

    Proto bytes(int field, byte[] b) {
      key(field, 2);
      rawVarint(v(b.length));
      out.raw(b);
      return this;
    }

    Proto string(int field, String s) {
      return bytes(field, f.text(s, NAMES).getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, Proto m) {
      return bytes(field, m.out.toByteArray());
    }
  }
}
