package org.sparsej.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.sparsej.testing.TensorAssert.assertClose;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.sparsej.tensor.Tensor;
import org.sparsej.testing.Isa;
import org.sparsej.testing.RandomTensors;

/**
 * Paged KV writes and attention over several sequences in one batch: the native kernels on every ISA against the
 * Java oracle (random segment sizes and positions, odd head sizes, grouped-query heads, page sizes down to one
 * position, NaN-poisoned outputs), and the oracle against contiguous-cache attention, value for value.
 */
class PagedAttentionMatchesJavaTest {
  @RegisterExtension
  static final KernelFixture kernels = new KernelFixture();

  static Stream<String> isas() {
    return Isa.runnable();
  }

  /** A random batch: pages filled with random history, plus this pass's k/v/q rows. */
  private record Case(PagedKv kv, int layer, int heads, int kvHeads, int headSize, Tensor q, Tensor k, Tensor v,
                      Tensor[] pages) {}

  private static Case randomCase(RandomTensors random, int layers, int heads, int kvHeads, int headSize,
                                 int pageTokens, int segments) {
    return randomCase(random, layers, heads, kvHeads, headSize, pageTokens, segments, 40);
  }

  /** Segments whose history reaches up to {@code maxPos0} positions before this pass's rows. */
  private static Case randomCase(RandomTensors random, int layers, int heads, int kvHeads, int headSize,
                                 int pageTokens, int segments, int maxPos0) {
    int kvDim = kvHeads * headSize;
    long pageFloats = PagedKv.pageFloats(layers, pageTokens, kvDim);
    PagedKv.Builder b = PagedKv.builder(layers, pageTokens, kvDim);
    java.util.List<Tensor> all = new java.util.ArrayList<>();
    int rows = 0;
    for (int s = 0; s < segments; s++) {
      int count = 1 + random.nextInt(random.nextInt(2) == 0 ? 2 : 9);
      int pos0 = random.nextInt(maxPos0);
      int pages = (pos0 + count + pageTokens - 1) / pageTokens + random.nextInt(2);  // sometimes a spare page
      Tensor[] own = new Tensor[pages];
      for (int p = 0; p < pages; p++) {
        own[p] = random.uniform(Math.toIntExact(pageFloats));
        all.add(own[p]);
      }
      b.add(count, pos0, own, pages);
      rows += count;
    }
    int layer = random.nextInt(layers);
    return new Case(b.build(), layer, heads, kvHeads, headSize, random.uniform(rows, heads * headSize),
        random.uniform(rows, kvDim), random.uniform(rows, kvDim), all.toArray(new Tensor[0]));
  }

  private static Case copyPages(Case c) {
    // The same table over copies of the pages, so each backend writes its own.
    PagedKv kv = c.kv();
    PagedKv.Builder b = PagedKv.builder(kv.layers(), kv.pageTokens(), kv.kvDim());
    java.util.Map<Tensor, Tensor> copies = new java.util.IdentityHashMap<>();
    Tensor[] pages = new Tensor[c.pages().length];
    for (int i = 0; i < pages.length; i++) {
      pages[i] = RandomTensors.copy(c.pages()[i]);
      copies.put(c.pages()[i], pages[i]);
    }
    for (int s = 0; s < kv.segments(); s++) {
      int n = (kv.pos0(s) + kv.rows(s) + kv.pageTokens() - 1) / kv.pageTokens();
      Tensor[] own = new Tensor[n];
      for (int p = 0; p < n; p++) {
        own[p] = copies.get(kv.tablePage(kv.tableStart(s) + p));
      }
      b.add(kv.rows(s), kv.pos0(s), own, n);
    }
    return new Case(b.build(), c.layer(), c.heads(), c.kvHeads(), c.headSize(), c.q(), c.k(), c.v(), pages);
  }

  @ParameterizedTest
  @MethodSource("isas")
  void nativeMatchesOracle(String isa) {
    RandomTensors random = new RandomTensors(11);
    int[][] shapes = {{6, 2, 13}, {4, 4, 8}, {3, 1, 7}, {8, 2, 64}, {2, 2, 2}, {12, 4, 33}};
    Isa.with(isa, () -> {
      for (int[] shape : shapes) {
        for (int pageTokens : new int[] {1, 3, 16}) {
          Case a = randomCase(random, 3, shape[0], shape[1], shape[2], pageTokens, 1 + random.nextInt(6));
          Case b = copyPages(a);
          String what = isa + " heads " + shape[0] + "/" + shape[1] + " size " + shape[2] + " page " + pageTokens;
          kernels.oracle.writeKv(a.kv(), a.layer(), a.k(), a.v());
          kernels.cpu.writeKv(b.kv(), b.layer(), b.k(), b.v());
          for (int i = 0; i < a.pages().length; i++) {
            assertClose(a.pages()[i], b.pages()[i], a.pages()[i].size(), 0, what + " kv write page " + i);
          }
          int rows = a.kv().totalRows();
          int dim = shape[0] * shape[2];
          Tensor expected = RandomTensors.poisoned(rows, dim);
          Tensor actual = RandomTensors.poisoned(rows, dim);
          kernels.oracle.pagedAttention(expected, a.q(), a.kv(), a.layer(), shape[0], shape[1], shape[2]);
          kernels.cpu.pagedAttention(actual, b.q(), b.kv(), b.layer(), shape[0], shape[1], shape[2]);
          assertClose(expected, actual, expected.size(), 1e-5, what + " attention");
        }
      }
    });
  }

  /**
   * Long histories (hundreds of positions over many pages, enough work to split over threads, a decode row and
   * prompt chunks in one batch), sliding windows shorter and longer than a page, grouped-query heads, head sizes
   * below, at and past a vector multiple: native against the oracle.
   */
  @ParameterizedTest
  @MethodSource("isas")
  void longContextsAndWindowsMatchOracle(String isa) {
    RandomTensors random = new RandomTensors(13);
    int[][] shapes = {{12, 12, 64}, {8, 2, 48}, {4, 1, 71}, {6, 3, 128}};
    Isa.with(isa, () -> {
      for (int[] shape : shapes) {
        for (int window : new int[] {0, 5, 37, 1000}) {
          Case a = randomCase(random, 2, shape[0], shape[1], shape[2], 16, 1 + random.nextInt(4), 600);
          Case b = copyPages(a);
          String what = isa + " heads " + shape[0] + "/" + shape[1] + " size " + shape[2] + " window " + window;
          kernels.oracle.writeKv(a.kv(), a.layer(), a.k(), a.v());
          kernels.cpu.writeKv(b.kv(), b.layer(), b.k(), b.v());
          int rows = a.kv().totalRows();
          int dim = shape[0] * shape[2];
          Tensor expected = RandomTensors.poisoned(rows, dim);
          Tensor actual = RandomTensors.poisoned(rows, dim);
          kernels.oracle.pagedAttention(expected, a.q(), a.kv(), a.layer(), shape[0], shape[1], shape[2], window);
          kernels.cpu.pagedAttention(actual, b.q(), b.kv(), b.layer(), shape[0], shape[1], shape[2], window);
          assertClose(expected, actual, expected.size(), 1e-5, what + " attention");
        }
      }
    });
  }

  @Test
  void oracleEqualsContiguousAttention() {
    // One segment over pages must give exactly what attention() gives over a contiguous cache.
    RandomTensors random = new RandomTensors(12);
    int heads = 6;
    int kvHeads = 2;
    int headSize = 13;
    int kvDim = kvHeads * headSize;
    int pos0 = 21;
    int rows = 5;
    int pageTokens = 4;
    int total = pos0 + rows;
    Tensor keys = random.uniform(total, kvDim);
    Tensor values = random.uniform(total, kvDim);
    int pages = (total + pageTokens - 1) / pageTokens;
    Tensor[] own = new Tensor[pages];
    for (int p = 0; p < pages; p++) {
      own[p] = RandomTensors.poisoned(Math.toIntExact(PagedKv.pageFloats(2, pageTokens, kvDim)));
    }
    PagedKv history = PagedKv.builder(2, pageTokens, kvDim).add(total, 0, own, pages).build();
    kernels.oracle.writeKv(history, 1, keys, values);
    PagedKv kv = PagedKv.builder(2, pageTokens, kvDim).add(rows, pos0, own, pages).build();
    Tensor q = random.uniform(rows, heads * headSize);
    Tensor expected = RandomTensors.poisoned(rows, heads * headSize);
    Tensor actual = RandomTensors.poisoned(rows, heads * headSize);
    kernels.oracle.attention(expected, q, keys, values, rows, pos0, heads, kvHeads, headSize);
    kernels.oracle.pagedAttention(actual, q, kv, 1, heads, kvHeads, headSize);
    for (long i = 0; i < expected.size(); i++) {
      assertEquals(expected.getFloat(i), actual.getFloat(i), 0f, "element " + i);
    }
    Tensor nativeOut = RandomTensors.poisoned(rows, heads * headSize);
    Tensor nativeContiguous = RandomTensors.poisoned(rows, heads * headSize);
    kernels.cpu.pagedAttention(nativeOut, q, kv, 1, heads, kvHeads, headSize);
    kernels.cpu.attention(nativeContiguous, q, keys, values, rows, pos0, heads, kvHeads, headSize);
    for (long i = 0; i < expected.size(); i++) {
      assertEquals(nativeContiguous.getFloat(i), nativeOut.getFloat(i), 0f, "native element " + i);
    }
  }

  @Test
  void badTablesAreRefused() {
    Tensor page = RandomTensors.poisoned(Math.toIntExact(PagedKv.pageFloats(1, 4, 8)));
    org.junit.jupiter.api.Assertions.assertThrows(org.sparsej.util.SparsejException.class,
        () -> PagedKv.builder(1, 4, 8).add(3, 3, new Tensor[] {page}, 1));  // positions up to 6 need 2 pages
    org.junit.jupiter.api.Assertions.assertThrows(org.sparsej.util.SparsejException.class,
        () -> PagedKv.builder(2, 4, 8).add(1, 0, new Tensor[] {page}, 1));  // page too small for 2 layers
    PagedKv kv = PagedKv.builder(1, 4, 8).add(2, 0, new Tensor[] {page}, 1).build();
    Tensor q = RandomTensors.poisoned(2, 16);
    org.junit.jupiter.api.Assertions.assertThrows(org.sparsej.util.SparsejException.class,
        () -> kernels.cpu.pagedAttention(RandomTensors.poisoned(2, 16), q, kv, 1, 2, 1, 8));  // layer out of range
    org.junit.jupiter.api.Assertions.assertThrows(org.sparsej.util.SparsejException.class,
        () -> kernels.cpu.pagedAttention(RandomTensors.poisoned(2, 16), q, kv, 0, 4, 1, 4));  // kv dim mismatch
  }
}
