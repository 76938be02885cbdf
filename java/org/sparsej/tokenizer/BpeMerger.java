package org.sparsej.tokenizer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;

/**
 * SentencePiece's BPE encoding loop (bpe_model.cc, {@code Model::Encode}): start from one symbol per Unicode
 * character, then repeatedly merge the adjacent pair whose concatenation is the best-scoring piece of the
 * vocabulary, the leftmost pair on equal scores, until no adjacent pair forms a piece.
 *
 * <p>Like SentencePiece, and unlike llama2.c's rescan of the whole text after every merge (quadratic), the candidate
 * pairs sit in a priority queue, so a 1 MB text takes one pass of O(n log n). A queue entry is one long,
 * {@code rank << 32 | left}, so that the smallest entry is the best score and then the leftmost position.
 */
final class BpeMerger {
  /** Receives the final symbols in order: the char span [start, end) of the text and its piece id, or -1. */
  interface SymbolSink {
    void accept(int start, int end, int id);
  }

  private final Map<String, Integer> mergeable; // piece -> id, for the pieces merging may produce
  private final int maxPieceChars;
  private final int[] rank; // per id: 0 for the best score; equal scores share a rank
  private final BitSet inLongerPiece; // chars that occur in some piece of two or more chars

  /**
   * @param mergeable the normal pieces (never control or byte tokens) by their text
   * @param scores per id; higher merges first
   */
  BpeMerger(Map<String, Integer> mergeable, float[] scores) {
    this.mergeable = mergeable;
    this.maxPieceChars = mergeable.keySet().stream().mapToInt(String::length).max().orElse(0);
    this.rank = ranks(mergeable, scores);
    this.inLongerPiece = new BitSet(Character.MAX_VALUE + 1);
    for (String piece : mergeable.keySet()) {
      if (piece.length() > 1) {
        piece.chars().forEach(inLongerPiece::set);
      }
    }
  }

  /** Splits {@code text} into pieces; each symbol is either a vocabulary piece or a single unknown character. */
  void encode(String text, SymbolSink sink) {
    new Symbols(text).mergeAll().emit(sink);
  }

  /**
   * A character that occurs in no piece longer than itself (a newline, in Llama's vocabularies) never merges with
   * its neighbours, so the text on either side of it evolves independently: merging one such segment at a time
   * gives SentencePiece's result with a queue that stays small (and in cache) instead of holding the whole text.
   */
  private boolean isBarrier(char c) {
    return !inLongerPiece.get(c) && !Character.isSurrogate(c);
  }

  /** Ranks the mergeable ids by descending score, so that the merge queue can hold ints instead of floats. */
  private static int[] ranks(Map<String, Integer> mergeable, float[] scores) {
    Integer[] ids = mergeable.values().toArray(new Integer[0]);
    Arrays.sort(ids, (a, b) -> Float.compare(scores[b], scores[a]));
    int[] rank = new int[scores.length];
    Arrays.fill(rank, -1);
    int r = 0;
    for (int i = 0; i < ids.length; i++) {
      // SentencePiece compares scores with != : -0.0 and 0.0 tie (then the leftmost pair wins).
      if (i > 0 && scores[ids[i]] != scores[ids[i - 1]]) {
        r++;
      }
      rank[ids[i]] = r;
    }
    return rank;
  }

  /**
   * The symbols of one text as a doubly linked list over char positions: symbol {@code i} starts at char i and
   * ends at {@code end[i]}; merging keeps the left symbol and unlinks the right one, as in SentencePiece.
   */
  private final class Symbols {
    private final String text;
    private final int[] end;
    private final int[] prev;
    private final int[] next;
    private final int[] id; // piece id of the symbol, -1 for a character that is not a piece
    private final int[] pairId; // piece formed by symbol i and its next, or -1
    private final LongMinHeap queue;

    Symbols(String text) {
      this.text = text;
      int n = text.length();
      end = new int[n];
      prev = new int[n];
      next = new int[n];
      id = new int[n];
      pairId = new int[n];
      queue = new LongMinHeap(256); // grows if a segment needs more
      int last = -1;
      for (int i = 0; i < n; i = end[i]) {
        end[i] = i + Character.charCount(text.codePointAt(i));
        id[i] = lookup(i, end[i]);
        prev[i] = last;
        next[i] = -1;
        pairId[i] = -1;
        if (last >= 0) {
          next[last] = i;
        }
        last = i;
      }
    }

    /** Merges segment by segment, each ending at a barrier character or at the end of the text. */
    Symbols mergeAll() {
      int n = text.length();
      int segmentStart = 0;
      for (int i = 0; i < n; i = end[i]) { // symbols from i on are still single characters
        if (isBarrier(text.charAt(i)) || end[i] == n) {
          for (int j = segmentStart; j != i; j = next[j]) {
            updatePair(j);
          }
          mergeQueued();
          segmentStart = end[i];
        }
      }
      return this;
    }

    private void mergeQueued() {
      while (!queue.isEmpty()) {
        long entry = queue.poll();
        int left = (int) entry;
        int entryRank = (int) (entry >>> 32);
        // An entry is stale once either symbol changed; the current pair at `left` may still have the same rank,
        // and then merging it is exactly what its own (equal) entry would do.
        if (pairId[left] >= 0 && rank[pairId[left]] == entryRank) {
          merge(left);
        }
      }
    }

    void emit(SymbolSink sink) {
      for (int i = text.isEmpty() ? -1 : 0; i >= 0; i = next[i]) {
        sink.accept(i, end[i], id[i]);
      }
    }

    private void merge(int left) {
      int right = next[left];
      id[left] = pairId[left];
      end[left] = end[right];
      next[left] = next[right];
      if (next[right] >= 0) {
        prev[next[right]] = left;
      }
      pairId[right] = -1; // right is gone; its queued entries are now stale
      if (prev[left] >= 0) {
        updatePair(prev[left]);
      }
      updatePair(left);
    }

    /** Recomputes which piece symbol i and its next would form, and queues it if there is one. */
    private void updatePair(int i) {
      int j = next[i];
      pairId[i] = j < 0 ? -1 : lookup(i, end[j]);
      if (pairId[i] >= 0) {
        queue.add((long) rank[pairId[i]] << 32 | i);
      }
    }

    private int lookup(int start, int stop) {
      if (stop - start > maxPieceChars) {
        return -1;
      }
      Integer found = mergeable.get(text.substring(start, stop));
      return found == null ? -1 : found;
    }
  }
}
