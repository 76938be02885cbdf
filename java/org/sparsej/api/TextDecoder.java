package org.sparsej.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.sparsej.tokenizer.Tokenizer;

/**
 * Generated tokens to text, incrementally: bytes of a UTF-8 character split over byte tokens wait for the rest,
 * and text that could be the start of a stop string waits until it is known not to be one, so a caller never
 * receives text it would have to take back. The stop string itself is dropped, as OpenAI does.
 * Not thread-safe: one per sequence, fed from the engine's thread.
 */
final class TextDecoder {
  private final Tokenizer tokenizer;
  private final List<String> stops;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private final StringBuilder text = new StringBuilder();
  private int prevToken;
  private int emitted;  // chars of text already handed out
  private boolean stopped;

  TextDecoder(Tokenizer tokenizer, int prevToken, List<String> stops) {
    this.tokenizer = tokenizer;
    this.prevToken = prevToken;
    this.stops = stops;
  }

  /** Feeds one generated token; returns the text that may be handed out now (maybe empty). */
  String push(int token) {
    if (stopped) {
      return "";
    }
    pending.writeBytes(tokenizer.decodeBytes(prevToken, token));
    prevToken = token;
    byte[] bytes = pending.toByteArray();
    int complete = completeUtf8Prefix(bytes);
    if (complete > 0) {
      text.append(new String(bytes, 0, complete, StandardCharsets.UTF_8));
      pending.reset();
      pending.write(bytes, complete, bytes.length - complete);
    }
    return release(false);
  }

  /** The end: whatever was held back (an unfinished UTF-8 sequence becomes U+FFFD). */
  String finish() {
    if (!stopped && pending.size() > 0) {
      text.append(pending.toString(StandardCharsets.UTF_8));
      pending.reset();
    }
    return release(true);
  }

  /** True once a stop string appeared: the generation should end. */
  boolean stopped() {
    return stopped;
  }

  /** All text handed out so far. */
  String text() {
    return text.substring(0, Math.min(emitted, text.length()));
  }

  private String release(boolean atEnd) {
    if (stopped) {
      return "";
    }
    int longest = 0;
    for (String s : stops) {
      longest = Math.max(longest, s.length());
    }
    int cut = -1;
    int searchFrom = Math.max(0, emitted - longest);
    for (String s : stops) {
      int at = text.indexOf(s, searchFrom);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
      }
    }
    int end;
    if (cut >= 0) {
      stopped = true;
      text.setLength(cut);
      end = Math.max(cut, emitted);
    } else {
      end = atEnd ? text.length() : text.length() - heldBack();
      if (end > emitted && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
        end--;
      }
    }
    String out = end > emitted ? text.substring(emitted, end) : "";
    emitted = Math.max(emitted, end);
    return out;
  }

  /** Length of the longest tail of the text that is a proper prefix of a stop string. */
  private int heldBack() {
    int hold = 0;
    for (String s : stops) {
      for (int n = Math.min(s.length() - 1, text.length()); n > hold; n--) {
        if (text.substring(text.length() - n).equals(s.substring(0, n))) {
          hold = n;
          break;
        }
      }
    }
    return hold;
  }

  /** Bytes up to the start of a trailing, still incomplete UTF-8 sequence. */
  static int completeUtf8Prefix(byte[] b) {
    int n = b.length;
    // A sequence is at most 4 bytes: look back at most 3 bytes for its lead byte.
    for (int back = 1; back <= Math.min(3, n); back++) {
      int lead = b[n - back] & 0xff;
      if ((lead & 0xC0) == 0x80) {
        continue;  // continuation byte: keep looking for the lead
      }
      int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      return need > back ? n - back : n;
    }
    return n;
  }
}
