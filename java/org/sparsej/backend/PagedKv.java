package org.sparsej.backend;

import java.util.Arrays;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * Where the key/value cache of every sequence in one forward pass lives: the page table that
 * {@link Backend#writeKv} and {@link Backend#pagedAttention} read. Built once per pass, used by every layer.
 *
 * <p>KV memory comes in pages. A page is one backend tensor of {@link #pageFloats} F32 values holding
 * {@code pageTokens} positions of keys and values for every layer, laid out [layers][2][pageTokens][kvDim] (the
 * layer's keys, then its values). Position p of a sequence sits in row p % pageTokens of its page p / pageTokens.
 *
 * <p>The pass's token rows are grouped in segments, one per sequence, in row order: segment s is rows
 * {@code row0(s) .. row0(s)+rows(s)-1} of the batch, at positions {@code pos0(s) ..}; its pages must cover
 * positions 0 .. pos0(s)+rows(s)-1. Rows of one segment attend only to their own sequence's cache.
 */
public final class PagedKv {
  private final int layers;
  private final int pageTokens;
  private final int kvDim;
  private final int segments;
  private final int[] row0;
  private final int[] rows;
  private final int[] pos0;
  private final int[] tableStart;
  private final Tensor[] table;  // every segment's pages, one list after the other
  /** The native backend's encoding of this table, made on first use (the table never changes). */
  Object nativeEncoding;

  private PagedKv(Builder b) {
    this.layers = b.layers;
    this.pageTokens = b.pageTokens;
    this.kvDim = b.kvDim;
    this.segments = b.segments;
    this.row0 = Arrays.copyOf(b.row0, b.segments);
    this.rows = Arrays.copyOf(b.rows, b.segments);
    this.pos0 = Arrays.copyOf(b.pos0, b.segments);
    this.tableStart = Arrays.copyOf(b.tableStart, b.segments);
    this.table = Arrays.copyOf(b.table, b.tableSize);
  }

  /** F32 values in one page. */
  public static long pageFloats(int layers, int pageTokens, int kvDim) {
    return 2L * layers * pageTokens * kvDim;
  }

  public static Builder builder(int layers, int pageTokens, int kvDim) {
    return new Builder(layers, pageTokens, kvDim);
  }

  public int layers() {
    return layers;
  }

  public int pageTokens() {
    return pageTokens;
  }

  public int kvDim() {
    return kvDim;
  }

  public int segments() {
    return segments;
  }

  public int row0(int segment) {
    return row0[segment];
  }

  public int rows(int segment) {
    return rows[segment];
  }

  public int pos0(int segment) {
    return pos0[segment];
  }

  /** Token rows of the whole pass. */
  public int totalRows() {
    return segments == 0 ? 0 : row0[segments - 1] + rows[segments - 1];
  }

  /** Index into {@link #tablePage} of the segment's first page. */
  public int tableStart(int segment) {
    return tableStart[segment];
  }

  /** Pages listed in the table, all segments together. */
  public int tableSize() {
    return table.length;
  }

  public Tensor tablePage(int i) {
    return table[i];
  }

  /** The page holding {@code position} of a segment's sequence. */
  public Tensor page(int segment, int position) {
    return table[tableStart[segment] + position / pageTokens];
  }

  /** Offset in floats, inside its page, of the key row of {@code position} in {@code layer}. */
  public long keyOffset(int layer, int position) {
    return (long) layer * 2 * pageTokens * kvDim + (long) (position % pageTokens) * kvDim;
  }

  /** Offset in floats, inside its page, of the value row of {@code position} in {@code layer}. */
  public long valueOffset(int layer, int position) {
    return keyOffset(layer, position) + (long) pageTokens * kvDim;
  }

  /** Collects the segments of one pass. */
  public static final class Builder {
    private final int layers;
    private final int pageTokens;
    private final int kvDim;
    private final long pageFloats;
    private int segments;
    private int[] row0 = new int[8];
    private int[] rows = new int[8];
    private int[] pos0 = new int[8];
    private int[] tableStart = new int[8];
    private Tensor[] table = new Tensor[32];
    private int tableSize;
    private int nextRow;

    private Builder(int layers, int pageTokens, int kvDim) {
      if (layers <= 0 || pageTokens <= 0 || kvDim <= 0) {
        throw new SparsejException("paged kv: layers, page tokens and kv dim must be positive");
      }
      this.layers = layers;
      this.pageTokens = pageTokens;
      this.kvDim = kvDim;
      this.pageFloats = pageFloats(layers, pageTokens, kvDim);
    }

    /** The next {@code count} rows of the pass belong to a sequence at positions pos0.., whose pages are given. */
    public Builder add(int count, int start, Tensor[] pages, int pageCount) {
      if (count <= 0 || start < 0) {
        throw new SparsejException("paged kv: segment of " + count + " rows at position " + start);
      }
      long needed = ((long) start + count + pageTokens - 1) / pageTokens;
      if (pageCount < needed || pageCount > pages.length) {
        throw new SparsejException("paged kv: positions up to " + (start + count) + " need " + needed
            + " pages of " + pageTokens + ", segment has " + pageCount);
      }
      if (segments == row0.length) {
        int n = segments * 2;
        row0 = Arrays.copyOf(row0, n);
        rows = Arrays.copyOf(rows, n);
        pos0 = Arrays.copyOf(pos0, n);
        tableStart = Arrays.copyOf(tableStart, n);
      }
      row0[segments] = nextRow;
      rows[segments] = count;
      pos0[segments] = start;
      tableStart[segments] = tableSize;
      segments++;
      nextRow += count;
      // Only the pages that hold positions of this pass's attention are listed.
      for (int p = 0; p < needed; p++) {
        Tensor page = pages[p];
        if (page.dtype() != DType.F32 || page.size() < pageFloats) {
          throw new SparsejException("paged kv: a page must hold " + pageFloats + " F32 values, got " + page);
        }
        if (tableSize == table.length) {
          table = Arrays.copyOf(table, tableSize * 2);
        }
        table[tableSize++] = page;
      }
      return this;
    }

    public PagedKv build() {
      return new PagedKv(this);
    }
  }
}
