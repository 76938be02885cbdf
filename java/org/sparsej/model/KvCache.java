package org.sparsej.model;

import java.util.Arrays;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/** One sequence's KV pages, reserved in a {@link KvCachePool} and allocated as the sequence grows. */
public final class KvCache {
  private final KvCachePool pool;
  private final int reservedPages;
  private Tensor[] pages = new Tensor[4];
  private int pageCount;
  private boolean released;

  KvCache(KvCachePool pool, int reservedPages) {
    this.pool = pool;
    this.reservedPages = reservedPages;
  }

  /** Positions the reservation covers. */
  public long reservedTokens() {
    return (long) reservedPages * pool.pageTokens();
  }

  /** Positions the allocated pages hold. */
  public int capacityTokens() {
    return pageCount * pool.pageTokens();
  }

  public int pageCount() {
    return pageCount;
  }

  /** Makes room for positions 0 .. tokens-1, taking pages from the pool (within the reservation). */
  public void ensure(int tokens) {
    if (released) {
      throw new SparsejException("kv cache used after release");
    }
    int needed = pool.pagesFor(tokens);
    if (needed > reservedPages) {
      throw new SparsejException("kv cache: " + tokens + " positions exceed the " + reservedTokens() + " reserved");
    }
    if (needed > pages.length) {
      pages = Arrays.copyOf(pages, Math.max(needed, pages.length * 2));
    }
    while (pageCount < needed) {
      Tensor page = pool.takePage();  // may throw: count only pages really held
      pages[pageCount++] = page;
    }
  }

  /** Adds this sequence's next {@code rows} tokens at position {@code pos0} to a pass's page table. */
  public void addTo(PagedKv.Builder kv, int rows, int pos0) {
    kv.add(rows, pos0, pages, pageCount);
  }

  /** Gives the pages and the reservation back to the pool. Idempotent. */
  public void release() {
    if (!released) {
      released = true;
      pool.giveBack(pages, pageCount, reservedPages);
      pageCount = 0;
    }
  }
}
