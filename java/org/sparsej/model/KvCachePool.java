package org.sparsej.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * KV-cache memory for many sequences under one byte budget, in pages of {@code pageTokens} positions (all layers
 * in a page, see {@link PagedKv}). A sequence first reserves the pages it may need ({@link #reserve}); they are
 * allocated from the backend only as it grows, and go back to the pool when it ends, to be reused by the next.
 * Reservations never exceed the budget, so a sequence that got one always gets its pages. Thread-safe.
 */
public final class KvCachePool implements AutoCloseable {
  /** Positions per page: small enough to waste little at a sequence's end, large enough to read in streams. */
  public static final int DEFAULT_PAGE_TOKENS = 16;

  private final Backend backend;
  private final int layers;
  private final int kvDim;
  private final int pageTokens;
  private final long budgetPages;
  private final ArrayDeque<Tensor> free = new ArrayDeque<>();
  private final List<Tensor> all = new ArrayList<>();
  private long reservedPages;
  private long pagesInUse;
  private boolean closed;

  public KvCachePool(Backend backend, int layers, int kvDim, int pageTokens, long budgetBytes) {
    if (pageTokens <= 0 || budgetBytes < 0) {
      throw new SparsejException("kv pool: page tokens must be positive and the budget not negative");
    }
    this.backend = backend;
    this.layers = layers;
    this.kvDim = kvDim;
    this.pageTokens = pageTokens;
    this.budgetPages = budgetBytes / pageBytes(layers, kvDim, pageTokens);
  }

  /** A pool for a model's caches. */
  public static KvCachePool forModel(Backend backend, LlamaConfig c, long budgetBytes) {
    return new KvCachePool(backend, c.nLayers(), c.kvDim(), DEFAULT_PAGE_TOKENS, budgetBytes);
  }

  /** Bytes of one page: keys and values of pageTokens positions in every layer. */
  public static long pageBytes(int layers, int kvDim, int pageTokens) {
    return 4 * PagedKv.pageFloats(layers, pageTokens, kvDim);
  }

  /** Bytes the pages of one sequence of {@code tokens} positions take, with the default page size. */
  public static long sequenceBytes(LlamaConfig c, int tokens) {
    long pages = ((long) tokens + DEFAULT_PAGE_TOKENS - 1) / DEFAULT_PAGE_TOKENS;  // long: tokens may be near 2^31
    return pages * pageBytes(c.nLayers(), c.kvDim(), DEFAULT_PAGE_TOKENS);
  }

  public long pageBytes() {
    return pageBytes(layers, kvDim, pageTokens);
  }

  public int pageTokens() {
    return pageTokens;
  }

  public int layers() {
    return layers;
  }

  public int kvDim() {
    return kvDim;
  }

  public int pagesFor(int tokens) {
    return (int) (((long) tokens + pageTokens - 1) / pageTokens);  // long: tokens may be near 2^31
  }

  /** Bytes a sequence of {@code tokens} positions holds at most. */
  public long bytesFor(int tokens) {
    return pagesFor(tokens) * pageBytes();
  }

  public long budgetBytes() {
    return budgetPages * pageBytes();
  }

  /** Bytes of the pages sequences hold now. */
  public synchronized long bytesInUse() {
    return pagesInUse * pageBytes();
  }

  /** Bytes reserved by live sequences (what admission counts against the budget). */
  public synchronized long bytesReserved() {
    return reservedPages * pageBytes();
  }

  /** Bytes allocated from the backend (in use or kept for reuse); never above the budget. */
  public synchronized long bytesAllocated() {
    return (long) all.size() * pageBytes();
  }

  /** Whether a sequence of {@code tokens} positions could ever be reserved (with the pool otherwise empty). */
  public boolean couldEverFit(int tokens) {
    return pagesFor(tokens) <= budgetPages;
  }

  /** A cache that may grow to {@code tokens} positions, or null while the budget does not have room for it now. */
  public synchronized KvCache reserve(int tokens) {
    if (closed) {
      throw new SparsejException("kv pool is closed");
    }
    int pages = pagesFor(tokens);
    if (reservedPages + pages > budgetPages) {
      return null;
    }
    reservedPages += pages;
    return new KvCache(this, pages);
  }

  synchronized Tensor takePage() {
    if (closed) {
      throw new SparsejException("kv pool is closed");
    }
    Tensor page = free.poll();
    if (page == null) {
      try {
        page = backend.allocate(DType.F32, Math.toIntExact(PagedKv.pageFloats(layers, pageTokens, kvDim)));
      } catch (OutOfMemoryError e) {
        // Direct memory below the budget (-XX:MaxDirectMemorySize): this sequence fails, the others go on.
        throw new SparsejException("out of memory for a KV page of " + pageBytes() / 1024 + " KiB after "
            + all.size() + " pages (" + e.getMessage() + "); lower the KV budget or raise -XX:MaxDirectMemorySize");
      }
      all.add(page);
    }
    pagesInUse++;
    return page;
  }

  synchronized void giveBack(Tensor[] pages, int count, int reserved) {
    for (int i = 0; i < count; i++) {
      if (!closed) {
        free.push(pages[i]);
      }
    }
    pagesInUse -= count;
    reservedPages -= reserved;
  }

  /** Frees every page through the backend; caches still open must not be used afterwards. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Tensor t : all) {
      backend.free(t);
    }
    all.clear();
    free.clear();
  }
}
