package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.sparsej.util.SparsejException;

/**
 * A SentencePiece BPE tokenizer with byte fallback, as used by Llama 2 and the llama2.c models. It reproduces
 * {@code SentencePieceProcessor.encode()} for models whose normalizer is "identity" with add_dummy_prefix on and
 * remove_extra_whitespaces off, the settings of Llama 2's tokenizer.model and of sj-7m's.
 *
 * <p>Pieces are stored as llama2.c exports them: SentencePiece's whitespace symbol "▁" (U+2581) is written as a
 * plain space. Ids 0, 1, 2 are {@code <unk>}, {@code <s>}, {@code </s>}; pieces spelled {@code <0xNN>} are byte
 * tokens. Neither kind is ever produced by merging, so text containing "<s>" or "<0x41>" stays text.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
  private static final int UNK = 0;
  private static final int BOS = 1;
  private static final int EOS = 2;
  /** What SentencePiece's decode prints for {@code <unk>} (TrainerSpec.unk_surface's default " ⁇ "). */
  private static final byte[] UNK_SURFACE = " \u2047 ".getBytes(UTF_8);
  private static final String HEX_DIGITS = "0123456789ABCDEF";

  private final byte[][] pieces;
  private final int[] byteToken = new int[256]; // id of <0xNN> for each byte value, -1 where missing
  private final int[] tokenByte; // the byte value of each byte token, -1 for other ids
  private final boolean byteFallback; // all 256 byte tokens present
  private final BpeMerger merger;

  /** Loads llama2.c's tokenizer.bin; {@code vocabSize} comes from the model, which the file must match. */
  public static SentencePieceBpeTokenizer load(Path file, int vocabSize) {
    Llama2cTokenizerFile.Contents contents = Llama2cTokenizerFile.read(file, vocabSize);
    try {
      return new SentencePieceBpeTokenizer(contents.pieces(), contents.scores());
    } catch (SparsejException e) {
      throw new SparsejException(file + ": " + e.getMessage());
    }
  }

  /**
   * @param pieces each id's piece in UTF-8, with spaces for "▁"
   * @param scores each id's score; pairs forming higher-scored pieces merge first
   */
  public SentencePieceBpeTokenizer(byte[][] pieces, float[] scores) {
    if (pieces.length != scores.length) {
      throw new IllegalArgumentException("need as many scores as pieces");
    }
    if (pieces.length <= EOS) {  // a file's vocabulary: the user's problem, not an internal one
      throw new SparsejException("a vocabulary of " + pieces.length + " token" + (pieces.length == 1 ? "" : "s")
          + " is too small: a SentencePiece vocabulary needs at least <unk>, <s> = 1 and </s> = " + EOS);
    }
    this.pieces = pieces.clone();
    this.tokenByte = new int[pieces.length];
    Arrays.fill(byteToken, -1);
    Map<String, Integer> mergeable = new HashMap<>(pieces.length * 2);
    for (int id = 0; id < pieces.length; id++) {
      String text = new String(pieces[id], UTF_8);
      tokenByte[id] = byteTokenValue(text);
      if (tokenByte[id] >= 0) {
        if (byteToken[tokenByte[id]] < 0) {
          byteToken[tokenByte[id]] = id;
        }
      } else if (id > EOS) {
        mergeable.putIfAbsent(text, id); // the first id wins, should a vocabulary repeat a piece
      }
    }
    this.byteFallback = Arrays.stream(byteToken).allMatch(id -> id >= 0);
    this.merger = new BpeMerger(mergeable, scores);
  }

  @Override
  public int vocabSize() {
    return pieces.length;
  }

  @Override
  public int bos() {
    return BOS;
  }

  @Override
  public int eos() {
    return EOS;
  }

  @Override
  public int[] encode(String text, boolean addBos, boolean addEos) {
    IntStream.Builder ids = IntStream.builder();
    if (addBos) {
      ids.add(BOS);
    }
    if (!text.isEmpty()) { // SentencePiece adds no dummy prefix to empty text: "" encodes to []
      String normalized = normalize(text);
      merger.encode(normalized, (start, end, id) -> {
        if (id >= 0) {
          ids.add(id);
        } else {
          addUnknown(normalized.substring(start, end), ids);
        }
      });
    }
    if (addEos) {
      ids.add(EOS);
    }
    return ids.build().toArray();
  }

  /**
   * SentencePiece's "identity" normalizer with add_dummy_prefix: a space in front, and nothing collapsed. Since
   * spaces are stored as spaces, a literal "▁" in the text must become a space too, as SentencePiece's own escaping
   * makes the two indistinguishable. Unpaired surrogates (not valid UTF-8) become U+FFFD, as in SentencePiece.
   */
  private static String normalize(String text) {
    StringBuilder s = new StringBuilder(text.length() + 1).append(' ');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\u2581') {
        s.append(' ');
      } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        s.append(c).append(text.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        s.append('\uFFFD');
      } else {
        s.append(c);
      }
    }
    return s.toString();
  }

  /** A character outside the vocabulary: its UTF-8 bytes as byte tokens, or one {@code <unk>} without them. */
  private void addUnknown(String character, IntStream.Builder ids) {
    if (!byteFallback) {
      ids.add(UNK);
      return;
    }
    for (byte b : character.getBytes(UTF_8)) {
      ids.add(byteToken[b & 0xFF]);
    }
  }

  @Override
  public byte[] decodeBytes(int prevToken, int token) {
    // llama2.c's decode(): the dummy-prefix space of the first word after BOS is not printed.
    return surface(token, prevToken == BOS);
  }

  @Override
  public String decode(int[] ids) {
    // SentencePiece's Decode: control tokens print nothing, and the first other piece loses its leading space
    // (the dummy prefix), whatever came before it.
    ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
    boolean first = true;
    for (int id : ids) {
      if (id == BOS || id == EOS) {
        continue;
      }
      out.writeBytes(surface(id, first));
      first = false;
    }
    return decodeUtf8(out.toByteArray());
  }

  @Override
  public String piece(int id) {
    return new String(pieces[checkId(id)], UTF_8);
  }

  /** The bytes {@code id} stands for; control tokens stand for nothing. */
  private byte[] surface(int id, boolean dropLeadingSpace) {
    checkId(id);
    if (id == BOS || id == EOS) {
      return new byte[0];
    }
    if (id == UNK) {
      return UNK_SURFACE.clone();
    }
    if (tokenByte[id] >= 0) {
      return new byte[] {(byte) tokenByte[id]};
    }
    byte[] piece = pieces[id];
    int from = dropLeadingSpace && piece.length > 0 && piece[0] == ' ' ? 1 : 0;
    return Arrays.copyOfRange(piece, from, piece.length);
  }

  private int checkId(int id) {
    if (id < 0 || id >= pieces.length) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (pieces.length - 1)
          + ")");
    }
    return id;
  }

  /** The byte value of a piece spelled {@code <0xNN>} (SentencePiece's byte pieces, upper-case hex), else -1. */
  private static int byteTokenValue(String piece) {
    if (piece.length() != 6 || !piece.startsWith("<0x") || piece.charAt(5) != '>') {
      return -1;
    }
    int hi = HEX_DIGITS.indexOf(piece.charAt(3));
    int lo = HEX_DIGITS.indexOf(piece.charAt(4));
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
  }

  /**
   * UTF-8 to String where each byte of an invalid sequence becomes one U+FFFD, as SentencePiece does for stray byte
   * tokens (Java's own decoder would fold some invalid sequences into a single U+FFFD).
   */
  private static String decodeUtf8(byte[] bytes) {
    CharsetDecoder decoder = UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    while (true) {
      CoderResult result = decoder.decode(in, out, true);
      if (result.isUnderflow()) {
        break;
      }
      // Malformed: replace each offending byte, then go on after them.
      for (int i = 0; i < result.length(); i++) {
        out.put('\uFFFD');
      }
      in.position(in.position() + result.length());
    }
    decoder.flush(out);
    return out.flip().toString();
  }
}
