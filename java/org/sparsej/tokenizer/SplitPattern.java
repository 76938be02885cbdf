package org.sparsej.tokenizer;

import java.util.List;
import org.sparsej.util.SparsejException;

/**
 * The pre-tokenizer regexes byte-level vocabularies use (GPT-2, Llama 3, Qwen2, individual digits), each run by a
 * hand-written scanner in one left-to-right pass: linear time and constant stack whatever the text, where a
 * backtracking engine on {@code \s+(?!\S)} is quadratic and a regex from an untrusted tokenizer.json could hang.
 * The scanners follow Oniguruma's semantics as the {@code tokenizers} library runs these patterns (leftmost-first
 * alternation, Unicode {@code \s}, {@code \p{L}}, {@code \p{N}}); a regex that is not one of them is refused.
 */
public enum SplitPattern {
  GPT2("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
  LLAMA3("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
      + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
  QWEN2("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
      + "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
  /** The Digits pre-tokenizer with individual_digits: every number character on its own. */
  DIGITS("\\p{N}");

  private final String regex;

  SplitPattern(String regex) {
    this.regex = regex;
  }

  /** The regex as tokenizer.json spells it. */
  public String regex() {
    return regex;
  }

  /** The scanner of a known regex; any other is refused (it could not be run in bounded time). */
  public static SplitPattern of(String regex) {
    for (SplitPattern p : values()) {
      if (p.regex.equals(regex)) {
        return p;
      }
    }
    String shown = regex.length() > 60 ? regex.substring(0, 60) + "..." : regex;
    throw new SparsejException("pre-tokenizer regex '" + shown + "' is not supported (SparseJ runs the GPT-2, "
        + "Llama 3 and Qwen2 patterns and individual digits)");
  }

  /** Appends the pieces of s to out: the matches and, between them, the unmatched text ("Isolated"). */
  public void split(String s, List<String> out) {
    int i = 0;
    int n = s.length();
    if (this == DIGITS) {
      int last = 0;
      while (i < n) {
        int cp = s.codePointAt(i);
        int next = i + Character.charCount(cp);
        if (isNumber(cp)) {
          if (i > last) {
            out.add(s.substring(last, i));
          }
          out.add(s.substring(i, next));
          last = next;
        }
        i = next;
      }
      if (last < n) {
        out.add(s.substring(last));
      }
      return;
    }
    while (i < n) {  // every character starts a match of these patterns, so the pieces are consecutive matches
      int end = this == GPT2 ? gpt2(s, i) : llama(s, i, this == LLAMA3 ? 3 : 1);
      out.add(s.substring(i, end));
      i = end;
    }
  }

  /** End of GPT-2's match at i. */
  private static int gpt2(String s, int i) {
    int c = contraction(s, i, false);
    if (c > 0) {
      return c;
    }
    int cp = s.codePointAt(i);
    if (cp == ' ' && i + 1 < s.length()) {  // " ?" before a run of letters, numbers or other symbols
      int next = s.codePointAt(i + 1);
      if (!isSpace(next)) {
        return run(s, i + 1, kind(next));
      }
    }
    if (!isSpace(cp)) {
      return run(s, i, kind(cp));
    }
    return spaces(s, i);
  }

  /** End of Llama 3's (numbers up to maxDigits) or Qwen2's (maxDigits 1) match at i. */
  private static int llama(String s, int i, int maxDigits) {
    int c = contraction(s, i, true);
    if (c > 0) {
      return c;
    }
    int n = s.length();
    int cp = s.codePointAt(i);
    int after = i + Character.charCount(cp);
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (cp != '\r' && cp != '\n' && !Character.isLetter(cp) && !isNumber(cp) && after < n
        && Character.isLetter(s.codePointAt(after))) {
      return run(s, after, LETTER);
    }
    if (Character.isLetter(cp)) {
      return run(s, i, LETTER);
    }
    if (isNumber(cp)) {  // \p{N}{1,maxDigits}
      int end = i;
      for (int k = 0; k < maxDigits && end < n && isNumber(s.codePointAt(end)); k++) {
        end += Character.charCount(s.codePointAt(end));
      }
      return end;
    }
    // " ?[^\s\p{L}\p{N}]+[\r\n]*"
    int start = cp == ' ' && after < n && kind(s.codePointAt(after)) == OTHER ? after : i;
    if (kind(s.codePointAt(start)) == OTHER) {
      int end = run(s, start, OTHER);
      while (end < n && (s.charAt(end) == '\r' || s.charAt(end) == '\n')) {
        end++;
      }
      return end;
    }
    // \s*[\r\n]+ : up to the last line break of the whitespace run, if it has one
    int runEnd = run(s, i, SPACE);
    for (int p = runEnd - 1; p >= i; p--) {
      if (s.charAt(p) == '\r' || s.charAt(p) == '\n') {
        return p + 1;
      }
    }
    return spaces(s, i);
  }

  /** \s+(?!\S)|\s+ at a whitespace character: the run, less its last character when a non-space follows. */
  private static int spaces(String s, int i) {
    int end = run(s, i, SPACE);
    if (end < s.length() && end - 1 > i) {
      return end - 1;  // every whitespace character is one UTF-16 unit
    }
    return end;
  }

  /** End of 's 't 're 've 'm 'll 'd at i (ASCII letters, any case when ignoreCase), or 0. */
  private static int contraction(String s, int i, boolean ignoreCase) {
    if (s.charAt(i) != '\'' || i + 1 >= s.length()) {
      return 0;
    }
    char a = fold(s.charAt(i + 1), ignoreCase);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') {
      return i + 2;
    }
    if (i + 2 < s.length()) {
      char b = fold(s.charAt(i + 2), ignoreCase);
      if ((a == 'r' || a == 'v') && b == 'e' || a == 'l' && b == 'l') {
        return i + 3;
      }
    }
    return 0;
  }

  private static char fold(char c, boolean ignoreCase) {
    if (!ignoreCase) {
      return c;
    }
    if (c == '\u017f') {  // LATIN SMALL LETTER LONG S case-folds to s
      return 's';
    }
    return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
  }

  private static final int LETTER = 0;
  private static final int NUMBER = 1;
  private static final int SPACE = 2;
  private static final int OTHER = 3;

  private static int kind(int cp) {
    return Character.isLetter(cp) ? LETTER : isNumber(cp) ? NUMBER : isSpace(cp) ? SPACE : OTHER;
  }

  /** End of the run of characters of one kind that starts at i. */
  private static int run(String s, int i, int kind) {
    int n = s.length();
    while (i < n) {
      int cp = s.codePointAt(i);
      if (kind(cp) != kind) {
        break;
      }
      i += Character.charCount(cp);
    }
    return i;
  }

  static boolean isNumber(int cp) {
    int t = Character.getType(cp);
    return t == Character.DECIMAL_DIGIT_NUMBER || t == Character.LETTER_NUMBER || t == Character.OTHER_NUMBER;
  }

  /** Unicode White_Space, what Oniguruma's \s matches (unlike Java's ASCII \s or Character.isWhitespace). */
  static boolean isSpace(int cp) {
    return cp >= 0x09 && cp <= 0x0d || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680
        || cp >= 0x2000 && cp <= 0x200a || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f
        || cp == 0x3000;
  }
}
