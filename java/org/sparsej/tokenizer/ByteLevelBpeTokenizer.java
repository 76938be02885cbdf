package org.sparsej.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.sparsej.util.SparsejException;

/**
 * Byte-level BPE (GPT-2, Llama 3, SmolLM): text is split by the pre-tokenizer's regexes, each piece's UTF-8 bytes
 * are spelled with GPT-2's byte-to-character table, and adjacent symbols merge by rank of the merges list (lowest
 * first, leftmost on ties) until none applies. Special tokens are never produced from text: a literal
 * "&lt;|begin_of_text|&gt;" in user text is encoded as ordinary text.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {
  /** GPT-2's pre-tokenizer regex (ByteLevel with use_regex). */
  public static final String GPT2_SPLIT = SplitPattern.GPT2.regex();
  /** Llama 3's pre-tokenizer regex. */
  public static final String LLAMA3_SPLIT = SplitPattern.LLAMA3.regex();
  /** Qwen2's pre-tokenizer regex (Llama 3's with single-digit numbers). */
  public static final String QWEN2_SPLIT = SplitPattern.QWEN2.regex();
  /** Splits every digit on its own (the Digits pre-tokenizer with individual_digits). */
  public static final String DIGITS_SPLIT = SplitPattern.DIGITS.regex();

  private static final char[] BYTE_TO_CHAR = new char[256];
  private static final Map<Character, Integer> CHAR_TO_BYTE = new HashMap<>();

  static {
    int n = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
      CHAR_TO_BYTE.put(BYTE_TO_CHAR[b], b);
    }
  }

  private final String[] tokens;
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<Long, int[]> merges = new HashMap<>();  // (left id, right id) -> {rank, merged id}
  private final boolean[] special;
  private final List<SplitPattern> splits;
  private final boolean ignoreMerges;
  private final boolean nfc;
  private final int bos;
  private final int eos;
  private final Map<String, int[]> cache = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, int[]> e) {
      return size() > 10_000;
    }
  };

  /**
   * @param tokens each id's token in byte-level spelling (specials spelled as themselves)
   * @param mergeList "left right" pairs, best first
   * @param special ids that text never produces (control and added special tokens)
   * @param splits pre-tokenizer regexes applied one after the other, each isolating its matches (known ones only:
   *     see {@link SplitPattern})
   */
  public ByteLevelBpeTokenizer(List<String> tokens, List<String> mergeList, boolean[] special, List<String> splits,
                               boolean ignoreMerges, boolean nfc, int bos, int eos) {
    this.tokens = tokens.toArray(new String[0]);
    for (int i = 0; i < this.tokens.length; i++) {
      ids.putIfAbsent(this.tokens[i], i);
    }
    for (int rank = 0; rank < mergeList.size(); rank++) {
      String m = mergeList.get(rank);
      int sp = m.indexOf(' ', 1);
      if (sp < 0) {
        throw new SparsejException("merge '" + m + "' is not two tokens separated by a space");
      }
      Integer a = ids.get(m.substring(0, sp));
      Integer b = ids.get(m.substring(sp + 1));
      Integer merged = ids.get(m.substring(0, sp) + m.substring(sp + 1));
      if (a == null || b == null || merged == null) {
        throw new SparsejException("merge '" + m + "' uses or makes a token outside the vocabulary");
      }
      merges.putIfAbsent(pair(a, b), new int[] {rank, merged});
    }
    this.special = special.clone();
    this.splits = splits.stream().map(SplitPattern::of).toList();
    this.ignoreMerges = ignoreMerges;
    this.nfc = nfc;
    this.bos = bos;
    this.eos = eos;
  }

  /** From a GGUF-style vocabulary of model "gpt2". */
  static ByteLevelBpeTokenizer of(Vocabulary v) {
    boolean[] special = new boolean[v.size()];
    for (int i = 0; i < special.length; i++) {
      special[i] = v.types() != null && (v.types()[i] == Vocabulary.CONTROL || v.types()[i] == Vocabulary.UNKNOWN);
    }
    return new ByteLevelBpeTokenizer(v.tokens(), v.merges() == null ? List.of() : v.merges(), special, v.splits(),
        v.ignoreMerges(), v.nfc(), v.bos(), v.eos());
  }

  /** The pre-tokenizer regexes llama.cpp means by a tokenizer.ggml.pre name. */
  public static List<String> splitsForPre(String pre) {
    if (pre == null) {
      return List.of(GPT2_SPLIT);
    }
    switch (pre) {
      case "llama-bpe":
      case "llama3":
        return List.of(LLAMA3_SPLIT);
      case "qwen2":
        return List.of(QWEN2_SPLIT);
      case "smollm":
        return List.of(DIGITS_SPLIT, GPT2_SPLIT);
      case "default":
      case "gpt2":
        return List.of(GPT2_SPLIT);
      default:
        throw new SparsejException("byte-level BPE pre-tokenizer '" + pre + "' is not supported (llama-bpe, "
            + "qwen2, smollm, gpt2 are)");
    }
  }

  /** The tokenizer.ggml.pre name of a list of split regexes, or null if llama.cpp has none for it. */
  public static String preForSplits(List<String> splits) {
    if (splits.equals(List.of(LLAMA3_SPLIT))) {
      return "llama-bpe";
    }
    if (splits.equals(List.of(QWEN2_SPLIT))) {
      return "qwen2";
    }
    if (splits.equals(List.of(DIGITS_SPLIT, GPT2_SPLIT))) {
      return "smollm";
    }
    if (splits.equals(List.of(GPT2_SPLIT))) {
      return "gpt2";
    }
    return null;
  }

  private static long pair(int a, int b) {
    return (long) a << 32 | (b & 0xffffffffL);
  }

  @Override
  public int vocabSize() {
    return tokens.length;
  }

  @Override
  public int bos() {
    return bos;
  }

  @Override
  public int eos() {
    return eos;
  }

  @Override
  public int[] encode(String text, boolean addBos, boolean addEos) {
    IntStream.Builder out = IntStream.builder();
    if (addBos && bos >= 0) {
      out.add(bos);
    }
    String t = nfc ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
    List<String> pieces = List.of(t);
    for (SplitPattern p : splits) {
      List<String> next = new ArrayList<>();
      for (String piece : pieces) {
        p.split(piece, next);
      }
      pieces = next;
    }
    for (String piece : pieces) {
      for (int id : word(piece)) {
        out.add(id);
      }
    }
    if (addEos && eos >= 0) {
      out.add(eos);
    }
    return out.build().toArray();
  }

  /** The ids of one pre-token. */
  private int[] word(String piece) {
    int[] cached = cache.get(piece);
    if (cached != null) {
      return cached;
    }
    byte[] bytes = piece.getBytes(UTF_8);
    StringBuilder spelled = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      spelled.append(BYTE_TO_CHAR[b & 0xff]);
    }
    Integer whole = ids.get(spelled.toString());
    int[] result;
    if (ignoreMerges && whole != null && !special[whole]) {
      result = new int[] {whole};
    } else {
      int[] sym = new int[bytes.length];
      int n = 0;
      for (int i = 0; i < spelled.length(); i++) {
        Integer id = ids.get(String.valueOf(spelled.charAt(i)));
        if (id == null) {
          throw new SparsejException("byte-level vocabulary has no token for byte " + (bytes[i] & 0xff));
        }
        sym[n++] = id;
      }
      while (n > 1) {
        int best = -1;
        int bestRank = Integer.MAX_VALUE;
        int bestId = -1;
        for (int i = 0; i + 1 < n; i++) {
          int[] m = merges.get(pair(sym[i], sym[i + 1]));
          if (m != null && m[0] < bestRank) {
            bestRank = m[0];
            best = i;
            bestId = m[1];
          }
        }
        if (best < 0) {
          break;
        }
        sym[best] = bestId;
        System.arraycopy(sym, best + 2, sym, best + 1, n - best - 2);
        n--;
      }
      result = Arrays.copyOf(sym, n);
    }
    cache.put(piece, result);
    return result;
  }

  @Override
  public byte[] decodeBytes(int prevToken, int token) {
    return surface(token);
  }

  @Override
  public String decode(int[] ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int id : ids) {
      out.writeBytes(surface(id));
    }
    return out.toString(UTF_8);
  }

  private byte[] surface(int id) {
    if (id < 0 || id >= tokens.length) {
      throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (tokens.length - 1)
          + ")");
    }
    if (special[id]) {
      return new byte[0];
    }
    String t = tokens[id];
    ByteArrayOutputStream out = new ByteArrayOutputStream(t.length());
    for (int i = 0; i < t.length(); i++) {
      Integer b = CHAR_TO_BYTE.get(t.charAt(i));
      if (b == null) {  // an added token spelled in plain text
        out.writeBytes(String.valueOf(t.charAt(i)).getBytes(UTF_8));
      } else {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  @Override
  public String piece(int id) {
    return tokens[id];
  }

  /** The id of a token by its spelling, or -1. */
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? -1 : id;
  }

  /** GGUF token types for this vocabulary: 3 for special tokens, 1 for the rest. */
  int[] types() {
    int[] t = new int[tokens.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = special[i] ? Vocabulary.CONTROL : Vocabulary.NORMAL;
    }
    return t;
  }
}
