package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.util.SparsejException;

/**
 * Reads SentencePiece's tokenizer.model (a ModelProto protobuf) with a small bounded reader: every length is
 * checked against the bytes left in its enclosing message, nesting is two levels deep by construction, and the
 * file is capped in size. Only what {@link SentencePieceBpeTokenizer} reproduces is accepted: a BPE model whose
 * normalizer adds the dummy prefix and keeps whitespace as it is (Llama 2's, sj-7m's); others are refused.
 */
public final class SentencePieceModelFile {
  private static final long MAX_FILE_BYTES = 64L << 20;
  // sentencepiece_model.proto field numbers.
  private static final int MODEL_PIECES = 1;
  private static final int MODEL_TRAINER = 2;
  private static final int MODEL_NORMALIZER = 3;
  private static final int PIECE_TEXT = 1;
  private static final int PIECE_SCORE = 2;
  private static final int PIECE_TYPE = 3;
  private static final int TRAINER_MODEL_TYPE = 3;
  private static final int TRAINER_UNK_ID = 40;
  private static final int TRAINER_BOS_ID = 41;
  private static final int TRAINER_EOS_ID = 42;
  private static final int NORMALIZER_NAME = 1;
  private static final int NORMALIZER_DUMMY_PREFIX = 3;
  private static final int NORMALIZER_REMOVE_SPACES = 4;
  private static final int BPE = 2;

  private SentencePieceModelFile() {}

  /** The vocabulary of a tokenizer.model, in GGUF's terms (model "llama"). */
  public static Vocabulary read(Path file) {
    byte[] bytes = readAll(file);
    try {
      return parse(bytes);
    } catch (SparsejException e) {
      throw new SparsejException(file + ": " + e.getMessage());
    }
  }

  public static Tokenizer load(Path file) {
    return read(file).tokenizer();
  }

  static Vocabulary parse(byte[] bytes) {
    List<String> tokens = new ArrayList<>();
    List<Float> scores = new ArrayList<>();
    List<Integer> types = new ArrayList<>();
    int modelType = 1;  // proto default: UNIGRAM
    int unk = 0;
    int bos = 1;
    int eos = 2;
    String normalizer = "nmt_nfkc";
    boolean dummyPrefix = true;
    boolean removeSpaces = true;
    Reader top = new Reader(bytes, 0, bytes.length);
    while (top.more()) {
      int key = top.key();
      int field = key >>> 3;
      if (field == MODEL_PIECES && (key & 7) == 2) {
        Reader p = top.message();
        String text = null;
        float score = 0;
        int type = Vocabulary.NORMAL;
        while (p.more()) {
          int k = p.key();
          switch (k >>> 3) {
            case PIECE_TEXT -> text = p.string(k);
            case PIECE_SCORE -> score = p.float32(k);
            case PIECE_TYPE -> type = (int) p.varint(k);
            default -> p.skip(k);
          }
        }
        if (text == null) {
          throw new SparsejException("piece " + tokens.size() + " has no text");
        }
        tokens.add(text);
        scores.add(score);
        types.add(type == 5 ? Vocabulary.CONTROL : type);  // UNUSED pieces are never produced, like control ones
      } else if (field == MODEL_TRAINER && (key & 7) == 2) {
        Reader t = top.message();
        while (t.more()) {
          int k = t.key();
          switch (k >>> 3) {
            case TRAINER_MODEL_TYPE -> modelType = (int) t.varint(k);
            case TRAINER_UNK_ID -> unk = (int) t.varint(k);
            case TRAINER_BOS_ID -> bos = (int) t.varint(k);
            case TRAINER_EOS_ID -> eos = (int) t.varint(k);
            default -> t.skip(k);
          }
        }
      } else if (field == MODEL_NORMALIZER && (key & 7) == 2) {
        Reader n = top.message();
        while (n.more()) {
          int k = n.key();
          switch (k >>> 3) {
            case NORMALIZER_NAME -> normalizer = n.string(k);
            case NORMALIZER_DUMMY_PREFIX -> dummyPrefix = n.varint(k) != 0;
            case NORMALIZER_REMOVE_SPACES -> removeSpaces = n.varint(k) != 0;
            default -> n.skip(k);
          }
        }
      } else {
        top.skip(key);
      }
    }
    if (tokens.size() <= 2) {
      throw new SparsejException("SentencePiece model has " + tokens.size() + " pieces (not a tokenizer.model?)");
    }
    if (modelType != BPE) {
      throw new SparsejException("SentencePiece model type " + (modelType == 1 ? "unigram" : modelType)
          + " is not supported (BPE is)");
    }
    if (!normalizer.equals("identity") || !dummyPrefix || removeSpaces) {
      throw new SparsejException("SentencePiece normalizer '" + normalizer + "' (add_dummy_prefix " + dummyPrefix
          + ", remove_extra_whitespaces " + removeSpaces + ") is not supported (identity with the dummy prefix, "
          + "whitespace kept, as Llama 2's)");
    }
    if (unk != 0 || bos != 1 || eos != 2) {
      throw new SparsejException("SentencePiece model must have <unk> = 0, <s> = 1, </s> = 2 (has " + unk + ", "
          + bos + ", " + eos + ")");
    }
    float[] s = new float[scores.size()];
    int[] t = new int[types.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = scores.get(i);
      t[i] = types.get(i);
    }
    return new Vocabulary("llama", tokens, s, t, null, bos, eos, unk, true, null, null);
  }

  private static byte[] readAll(Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new SparsejException("tokenizer file " + file + " is " + size + " bytes, far too large to be a "
            + "SentencePiece tokenizer.model");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new SparsejException("tokenizer file not found: " + file, e);
    } catch (IOException e) {
      throw new SparsejException("cannot read tokenizer file " + file + ": " + e.getMessage(), e);
    }
  }

  /** Protobuf wire format over bytes[pos, end): every read is checked against end. */
  private static final class Reader {
    private final byte[] b;
    private int pos;
    private final int end;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    boolean more() {
      return pos < end;
    }

    int key() {
      long k = varint();
      if (k >>> 3 == 0 || k > Integer.MAX_VALUE) {
        throw bad("field key " + k);
      }
      return (int) k;
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw bad("varint runs past the end of its message");
        }
        int x = b[pos++] & 0xff;
        v |= (long) (x & 0x7f) << shift;
        if (x < 0x80) {
          return v;
        }
      }
      throw bad("varint longer than 10 bytes");
    }

    long varint(int key) {
      expect(key, 0);
      return varint();
    }

    float float32(int key) {
      expect(key, 5);
      need(4);
      int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | (b[pos + 3] & 0xff) << 24;
      pos += 4;
      return Float.intBitsToFloat(v);
    }

    String string(int key) {
      expect(key, 2);
      int n = length();
      String s = new String(b, pos, n, UTF_8);
      pos += n;
      return s;
    }

    Reader message() {
      int n = length();
      Reader r = new Reader(b, pos, pos + n);
      pos += n;
      return r;
    }

    void skip(int key) {
      switch (key & 7) {
        case 0 -> varint();
        case 1 -> {
          need(8);
          pos += 8;
        }
        case 2 -> {
          int n = length();  // read first: "pos += length()" would add to the position before the length
          pos += n;
        }
        case 5 -> {
          need(4);
          pos += 4;
        }
        default -> throw bad("wire type " + (key & 7) + " of field " + (key >>> 3));
      }
    }

    private int length() {
      long n = varint();
      if (n < 0 || n > end - pos) {
        throw bad("length " + n + " runs past the end of its message (" + (end - pos) + " bytes left)");
      }
      return (int) n;
    }

    private void need(int n) {
      if (end - pos < n) {
        throw bad("field runs past the end of its message");
      }
    }

    private void expect(int key, int wireType) {
      if ((key & 7) != wireType) {
        throw bad("field " + (key >>> 3) + " has wire type " + (key & 7) + ", expected " + wireType);
      }
    }

    private SparsejException bad(String what) {
      return new SparsejException("not a valid SentencePiece model: " + what + " at byte " + pos);
    }
  }
}
