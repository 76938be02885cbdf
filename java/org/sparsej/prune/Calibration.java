package org.sparsej.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.sparsej.util.SparsejException;

/**
 * Calibration sequences drawn from a token stream the way the SparseGPT and Wanda reference scripts draw them:
 * seed Python's Mersenne Twister, then for each sample a start {@code randint(0, n - seqlen - 1)} and the
 * {@code seqlen} ids from there (no BOS added; windows may overlap).
 */
public final class Calibration {
  private Calibration() {}

  /**
   * Draws {@code samples} windows of {@code seqlen} ids. If the text holds fewer than samples·seqlen ids, says so
   * through {@code warn} and uses the non-overlapping windows it has; if it cannot fill one window, stops.
   */
  public static List<int[]> sample(int[] ids, int samples, int seqlen, long seed, Consumer<String> warn) {
    if (samples < 1 || seqlen < 1) {
      throw new SparsejException("calibration needs at least one sample of at least one token");
    }
    if (ids.length < seqlen + 1) {
      throw new SparsejException("calibration text has " + ids.length + " tokens, too few for even one sample of "
          + seqlen + " (+1) tokens: give a longer --calib file or a smaller --seqlen");
    }
    List<int[]> out = new ArrayList<>();
    if ((long) ids.length < (long) samples * seqlen) {
      int available = ids.length / seqlen;
      warn.accept(String.format("calibration text has only %d tokens, fewer than %d samples x %d; using the %d "
          + "non-overlapping samples it holds", ids.length, samples, seqlen, available));
      for (int s = 0; s < available; s++) {
        out.add(Arrays.copyOfRange(ids, s * seqlen, (s + 1) * seqlen));
      }
      return out;
    }
    PythonRandom random = new PythonRandom(seed);
    for (int s = 0; s < samples; s++) {
      int start = random.randint(0, ids.length - seqlen - 1);
      out.add(Arrays.copyOfRange(ids, start, start + seqlen));
    }
    return out;
  }
}
