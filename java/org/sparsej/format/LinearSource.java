package org.sparsej.format;

import java.util.function.Supplier;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.StoredSummary;
import org.sparsej.weights.StoredWeight;

/**
 * A linear weight for a writer: its summary now, its stored form only when the writer reaches it. So a writer
 * can lay out a file whose linears are not all in memory at once (a streamed compression spills them to disk).
 */
public record LinearSource(StoredSummary summary, Supplier<StoredWeight> load) {
  /**
   * A weight in memory. Its stored form is made once for the summary and again when written, so that a model's
   * stored copies (repacked sparse values, say) are not all alive at the same time.
   */
  public static LinearSource of(LinearWeight w) {
    return new LinearSource(StoredSummary.of(w.stored()), w::stored);
  }
}
