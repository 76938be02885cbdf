package org.sparsej.prune;

import java.util.Locale;
import org.sparsej.util.SparsejException;

/**
 * Where zeros may go: anywhere in the matrix (unstructured), or n:m — at most {@code n} nonzeros in every group of
 * {@code m} consecutive inputs of a row (NVIDIA's and Wanda's convention; 2:4 zeroes 2 of every 4, 4:8 zeroes 4 of
 * every 8). An n:m pattern fixes the sparsity at 1 - n/m.
 */
public record SparsityPattern(int n, int m) {
  public static final SparsityPattern UNSTRUCTURED = new SparsityPattern(0, 0);

  public SparsityPattern {
    if (!(n == 0 && m == 0) && !(n >= 1 && n < m)) {
      throw new SparsejException("invalid n:m pattern " + n + ":" + m + " (need 1 <= n < m)");
    }
  }

  /** "unstructured", or "N:M" such as "2:4" or "4:8". */
  public static SparsityPattern parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.equals("unstructured")) {
      return UNSTRUCTURED;
    }
    String[] parts = s.split(":");
    if (parts.length == 2) {
      try {
        int n = Integer.parseInt(parts[0].trim());
        int m = Integer.parseInt(parts[1].trim());
        if (m == 0) {  // 0:0 is how UNSTRUCTURED is stored, never a pattern the user means
          throw new SparsejException("invalid n:m pattern " + text + " (need 1 <= n < m; for no structure say "
              + "unstructured)");
        }
        return new SparsityPattern(n, m);
      } catch (NumberFormatException e) {
        // fall through to the message below
      }
    }
    throw new SparsejException("unknown sparsity pattern '" + text + "' (expected unstructured, 2:4, 4:8 or n:m)");
  }

  public boolean unstructured() {
    return m == 0;
  }

  /** Zeros in each group of m. */
  public int zerosPerGroup() {
    return m - n;
  }

  /** The sparsity this pattern implies, or {@code requested} for unstructured. */
  public double sparsity(double requested) {
    return unstructured() ? requested : (double) (m - n) / m;
  }

  /** Throws unless an n:m pattern tiles rows of {@code cols} inputs. */
  public void requireDivides(int cols, String layer) {
    if (!unstructured() && cols % m != 0) {
      throw new SparsejException("pattern " + this + " does not divide the width " + cols + " of " + layer
          + " (rows must split into groups of " + m + ")");
    }
  }

  @Override
  public String toString() {
    return unstructured() ? "unstructured" : n + ":" + m;
  }
}
