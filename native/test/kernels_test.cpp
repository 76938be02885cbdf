// Native test driver (ctest): every kernel family of the C API on every ISA this CPU runs (sj_isa_select), on odd
// shapes, batches and sparsities, against references computed in double precision. Built with
// -DSPARSEJ_SANITIZE=ON it runs under AddressSanitizer and UndefinedBehaviorSanitizer (docs/reliability.md).
// Buffers are sized exactly (plus the 64 readable bytes the sparse layouts promise), so ASan sees any overrun.
// Exit status: 0 when every check passed; each failure prints one line. `--misaligned` runs the one case that must
// be reported (see misaligned_weights).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sparsej/attention_paged.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemm_int8.h"
#include "sparsej/gemv_dense.h"
#include "sparsej/gemv_half.h"
#include "sparsej/gemv_q8_0.h"
#include "sparsej/llama_ops.h"
#include "sparsej/membench.h"
#include "sparsej/quantize.h"
#include "sparsej/sparse24.h"
#include "sparsej/spmv_bitmask.h"

namespace {

long g_checks = 0;
int g_failures = 0;
const char* g_isa = "";

struct Rng {
  uint64_t s;
  uint32_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (uint32_t)(s >> 11);
  }
  float uniform() { return (float)(next() % 2000001) / 1000000.0f - 1.0f; }  // [-1, 1]
  int below(int n) { return (int)(next() % (uint32_t)n); }
  int8_t i8() { return (int8_t)(below(255) - 127); }  // [-127, 127]
};

// got must equal ref within tol relative to mag (the sum of the terms' magnitudes) plus a tiny absolute slack.
void expect(const char* what, const float* got, const std::vector<double>& ref, const std::vector<double>& mag,
            double tol, int a, int b, int c) {
  for (size_t i = 0; i < ref.size(); i++) {
    g_checks++;
    double err = std::fabs((double)got[i] - ref[i]);
    if (!(err <= tol * mag[i] + 1e-6)) {  // NaN fails too
      if (g_failures++ < 40)
        std::printf("FAIL %s on %s (%d,%d,%d) at %zu: got %.9g want %.9g\n", what, g_isa, a, b, c, i, got[i], ref[i]);
      return;
    }
  }
}

std::vector<float> randoms(Rng& r, size_t n) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform();
  return v;
}

double bf16_value(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double f16_value(uint16_t h) {
  int e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? m / 1024.0 * std::ldexp(1.0, -14) : (1 + m / 1024.0) * std::ldexp(1.0, e - 15);
  return (h & 0x8000) ? -v : v;
}

// Random finite halves between about 2^-14 and 2^2, subnormals and zero included.
uint16_t random_f16(Rng& r) { return (uint16_t)((r.next() & 0x8000) | (r.below(18) << 10) | r.below(1024)); }

uint16_t random_bf16(Rng& r) {
  float f = r.uniform();
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return (uint16_t)(bits >> 16);
}

// out[b][r] = sum_c W[r][c] * x[b][c] in double, with the magnitudes for the tolerance.
void reference_matmul(const std::vector<double>& w, const std::vector<double>& x, int batch, int rows, int cols,
                      std::vector<double>* ref, std::vector<double>* mag) {
  ref->assign((size_t)batch * rows, 0);
  mag->assign((size_t)batch * rows, 0);
  for (int b = 0; b < batch; b++)
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) {
        double t = w[(size_t)r * cols + c] * x[(size_t)b * cols + c];
        (*ref)[(size_t)b * rows + r] += t;
        (*mag)[(size_t)b * rows + r] += std::fabs(t);
      }
}

std::vector<double> widen(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

struct Shape {
  int batch, rows, cols;
};

// Odd sizes (tails of every vector width), one large enough to run on several threads, batches 1..8, 20
// tokens over 1116 columns: the bitmask batch path on the tile kernel (dense_tile_impl.h), two column panels, a
// lone vector and a tail; and 33 tokens: the 2:4 W8A8 rows expanded for the dense W8A8 kernel, in row groups and
// alone, with a tail (sparse24_impl.h).
const Shape kShapes[] = {{1, 1, 1}, {1, 3, 5}, {2, 7, 17}, {3, 5, 33}, {1, 67, 100}, {5, 33, 515}, {8, 9, 64},
                         {4, 130, 260}, {20, 19, 1116}, {33, 11, 260}};

void test_dense(Rng& rng) {
  for (const Shape& s : kShapes) {
    std::vector<float> w = randoms(rng, (size_t)s.rows * s.cols), x = randoms(rng, (size_t)s.batch * s.cols);
    std::vector<float> out((size_t)s.batch * s.rows, NAN);
    std::vector<double> ref, mag;
    reference_matmul(widen(w), widen(x), s.batch, s.rows, s.cols, &ref, &mag);
    sj_matmul_f32(out.data(), x.data(), w.data(), s.batch, s.rows, s.cols);
    expect("matmul_f32", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);

    // BF16 and F16 weights as stored.
    for (int f16 = 0; f16 < 2; f16++) {
      std::vector<uint16_t> h((size_t)s.rows * s.cols);
      std::vector<double> hw(h.size());
      for (size_t i = 0; i < h.size(); i++) {
        h[i] = f16 ? random_f16(rng) : random_bf16(rng);
        hw[i] = f16 ? f16_value(h[i]) : bf16_value(h[i]);
      }
      reference_matmul(hw, widen(x), s.batch, s.rows, s.cols, &ref, &mag);
      std::fill(out.begin(), out.end(), NAN);
      (f16 ? sj_matmul_f16 : sj_matmul_bf16)(out.data(), x.data(), h.data(), s.batch, s.rows, s.cols);
      // Widened in registers on every ISA: the F32 kernel's accuracy.
      expect(f16 ? "matmul_f16" : "matmul_bf16", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);
    }

    // Dense int8, weight-only (W8A16) and with int8 activations (W8A8).
    std::vector<int8_t> q((size_t)s.rows * s.cols);
    std::vector<float> scales = randoms(rng, s.rows);
    std::vector<int32_t> row_sums(s.rows, 0);
    std::vector<double> qw(q.size());
    for (int r = 0; r < s.rows; r++)
      for (int c = 0; c < s.cols; c++) {
        size_t i = (size_t)r * s.cols + c;
        q[i] = rng.i8();
        row_sums[r] += q[i];
        qw[i] = (double)q[i] * scales[r];
      }
    reference_matmul(qw, widen(x), s.batch, s.rows, s.cols, &ref, &mag);
    std::fill(out.begin(), out.end(), NAN);
    sj_matmul_w8a16(out.data(), x.data(), q.data(), scales.data(), s.batch, s.rows, s.cols);
    expect("matmul_w8a16", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);

    std::vector<int8_t> xq((size_t)s.batch * s.cols);
    std::vector<float> xs = randoms(rng, s.batch);
    std::vector<double> xqd(xq.size());
    for (int b = 0; b < s.batch; b++)
      for (int c = 0; c < s.cols; c++) {
        size_t i = (size_t)b * s.cols + c;
        xq[i] = rng.i8();
        xqd[i] = (double)xq[i] * xs[b];
      }
    reference_matmul(qw, xqd, s.batch, s.rows, s.cols, &ref, &mag);
    std::fill(out.begin(), out.end(), NAN);
    sj_matmul_w8a8(out.data(), xq.data(), xs.data(), q.data(), scales.data(), row_sums.data(), s.batch, s.rows,
                   s.cols);
    expect("matmul_w8a8", out.data(), ref, mag, 1e-6, s.batch, s.rows, s.cols);
  }
}

// The activations as the Q8_0/Q4_0 kernels see them: quantized to Q8_0 blocks (int8, one f32 scale per 32), as
// llama.cpp does. The quantizer itself is checked here (each value within half a step, scale amax/127); the matmul
// reference then multiplies those exact values in double.
std::vector<double> q8_activations(const std::vector<float>& x, int batch, int cols) {
  std::vector<int8_t> xq((size_t)batch * cols);
  std::vector<float> xd((size_t)batch * (cols / 32));
  sj_quantize_q8_blocks(xq.data(), xd.data(), x.data(), batch, cols);
  std::vector<double> v((size_t)batch * cols);
  for (size_t i = 0; i < v.size(); i++) {
    double d = xd[i / 32];
    v[i] = d * xq[i];
    if (std::fabs(v[i] - x[i]) > 0.5001 * d + 1e-30) {
      if (g_failures++ < 40)
        std::printf("FAIL quantize_q8_blocks at %zu: %g -> %g (step %g)\n", i, (double)x[i], v[i], d);
    }
  }
  return v;
}

// Q8_0 (int8 values) or Q4_0 (nibbles minus 8) blocks of 32 weights with an f16 scale, on Q8_0 activations.
void test_block_format(Rng& rng, bool q4) {
  const int bytes = q4 ? 18 : 34;
  for (const Shape& s0 : kShapes) {
    Shape s{s0.batch, s0.rows, (s0.cols + 31) / 32 * 32};
    const int blocks = s.cols / 32;
    std::vector<uint8_t> w((size_t)s.rows * blocks * bytes);
    std::vector<double> dw((size_t)s.rows * s.cols);
    for (int r = 0; r < s.rows; r++)
      for (int k = 0; k < blocks; k++) {
        uint8_t* block = w.data() + ((size_t)r * blocks + k) * bytes;
        uint16_t d = random_f16(rng);
        std::memcpy(block, &d, 2);
        for (int j = 0; j < 32; j++) {
          int q;
          if (q4) {  // value j is the low nibble of byte j, value 16+j the high one
            int nib = (int)rng.below(16);
            uint8_t& b = block[2 + (j % 16)];
            b = j < 16 ? (uint8_t)((b & 0xf0) | nib) : (uint8_t)((b & 0x0f) | (nib << 4));
            q = nib - 8;
          } else {
            q = (int8_t)(rng.below(256) - 128);
            block[2 + j] = (uint8_t)q;
          }
          dw[(size_t)r * s.cols + 32 * k + j] = f16_value(d) * q;
        }
      }
    std::vector<float> x = randoms(rng, (size_t)s.batch * s.cols), out((size_t)s.batch * s.rows, NAN);
    std::vector<double> ref, mag;
    reference_matmul(dw, q8_activations(x, s.batch, s.cols), s.batch, s.rows, s.cols, &ref, &mag);
    if (q4) {
      sj_matmul_q4_0(out.data(), x.data(), w.data(), s.batch, s.rows, s.cols);
    } else {
      sj_matmul_q8_0(out.data(), x.data(), w.data(), s.batch, s.rows, s.cols);
    }
    expect(q4 ? "matmul_q4_0" : "matmul_q8_0", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);
  }
}

// Unstructured (bitmask) and 2:4 sparse weights in F32, INT8 and W8A8, at sparsities 0 to 1.
void test_sparse(Rng& rng) {
  const double kSparsity[] = {0.0, 0.3, 0.5, 0.9, 1.0};
  int n = 0;
  for (const Shape& s0 : kShapes) {
    for (double sparsity : kSparsity) {
      if (n++ % 2) continue;  // half of the shape x sparsity grid keeps the sanitized run short
      for (int two_four = 0; two_four < 2; two_four++) {
        Shape s{s0.batch, s0.rows, two_four ? (s0.cols + 3) / 4 * 4 : s0.cols};
        const int stride = (s.cols + 7) / 8;
        std::vector<float> dense((size_t)s.rows * s.cols, 0.0f);
        std::vector<uint8_t> mask((size_t)s.rows * stride, 0), idx((size_t)s.rows * stride, 0);
        std::vector<int32_t> offsets(s.rows + 1, 0);
        std::vector<float> values;
        std::vector<int8_t> qvalues;
        for (int r = 0; r < s.rows; r++) {
          if (two_four) {
            for (int g = 0; g < s.cols / 4; g++) {
              int a = rng.below(4), b = rng.below(3);
              b += b >= a;
              int lo = std::min(a, b), hi = std::max(a, b);
              for (int k = 0; k < 2; k++) {
                int col = k ? hi : lo, v = 2 * g + k;  // value v of the row, its column within group g
                float val = rng.uniform() < 2 * sparsity - 1 ? 0.0f : rng.uniform();
                dense[(size_t)r * s.cols + 4 * g + col] = val;
                values.push_back(val);
                idx[(size_t)r * stride + v / 4] |= (uint8_t)(col << (2 * (v % 4)));
              }
            }
          } else {
            for (int c = 0; c < s.cols; c++) {
              if ((rng.uniform() + 1) / 2 < sparsity) continue;
              float val = rng.uniform();
              dense[(size_t)r * s.cols + c] = val;
              values.push_back(val);
              mask[(size_t)r * stride + c / 8] |= (uint8_t)(1 << (c % 8));
            }
          }
          offsets[r + 1] = (int32_t)values.size();
        }
        // INT8 versions of the same pattern: values quantized per row, one scale each.
        std::vector<float> scales(s.rows);
        std::vector<int32_t> row_sums(s.rows, 0);
        std::vector<double> qdense((size_t)s.rows * s.cols, 0.0);
        qvalues.resize(values.size());
        for (int r = 0; r < s.rows; r++) {
          int v0 = two_four ? r * s.cols / 2 : offsets[r], v1 = two_four ? (r + 1) * s.cols / 2 : offsets[r + 1];
          scales[r] = (rng.uniform() + 1.5f) / 127.0f;
          for (int v = v0; v < v1; v++) {
            qvalues[v] = (int8_t)std::lround(std::max(-127.0, std::min(127.0, (double)values[v] / scales[r] / 2)));
            row_sums[r] += qvalues[v];
          }
        }
        {
          // The int8 matrix the stored values mean: the layout walked as the kernels read it.
          for (int r = 0; r < s.rows; r++) {
            int v = two_four ? r * s.cols / 2 : offsets[r];
            if (two_four) {
              for (int k = 0; k < s.cols / 2; k++, v++) {
                int col = (idx[(size_t)r * stride + k / 4] >> (2 * (k % 4))) & 3;
                qdense[(size_t)r * s.cols + 4 * (k / 2) + col] = (double)qvalues[v] * scales[r];
              }
            } else {
              for (int c = 0; c < s.cols; c++)
                if (mask[(size_t)r * stride + c / 8] >> (c % 8) & 1) qdense[(size_t)r * s.cols + c] =
                    (double)qvalues[v++] * scales[r];
            }
          }
        }
        values.resize(values.size() + 16, 0.0f);  // the 64 readable bytes past the end
        qvalues.resize(qvalues.size() + 64, 0);
        std::vector<float> x = randoms(rng, (size_t)s.batch * s.cols), out((size_t)s.batch * s.rows, NAN);
        std::vector<double> ref, mag;
        reference_matmul(widen(dense), widen(x), s.batch, s.rows, s.cols, &ref, &mag);
        if (two_four)
          sj_sparse24_matmul_f32(out.data(), x.data(), s.batch, s.rows, s.cols, values.data(), idx.data());
        else
          sj_bitmask_matmul_f32(out.data(), x.data(), s.batch, s.rows, s.cols, mask.data(), offsets.data(),
                                values.data());
        expect(two_four ? "sparse24_f32" : "bitmask_f32", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);

        reference_matmul(qdense, widen(x), s.batch, s.rows, s.cols, &ref, &mag);
        std::fill(out.begin(), out.end(), NAN);
        if (two_four)
          sj_sparse24_matmul_i8(out.data(), x.data(), s.batch, s.rows, s.cols, qvalues.data(), idx.data(),
                                scales.data());
        else
          sj_bitmask_matmul_i8(out.data(), x.data(), s.batch, s.rows, s.cols, mask.data(), offsets.data(),
                               qvalues.data(), scales.data());
        expect(two_four ? "sparse24_i8" : "bitmask_i8", out.data(), ref, mag, 1e-5, s.batch, s.rows, s.cols);

        std::vector<int8_t> xq((size_t)s.batch * s.cols);
        std::vector<float> xs(s.batch);
        std::vector<double> xqd(xq.size());
        for (int b = 0; b < s.batch; b++) {
          xs[b] = (rng.uniform() + 1.5f) / 127.0f;
          for (int c = 0; c < s.cols; c++) {
            xq[(size_t)b * s.cols + c] = rng.i8();
            xqd[(size_t)b * s.cols + c] = (double)xq[(size_t)b * s.cols + c] * xs[b];
          }
        }
        reference_matmul(qdense, xqd, s.batch, s.rows, s.cols, &ref, &mag);
        std::fill(out.begin(), out.end(), NAN);
        if (two_four)
          sj_sparse24_matmul_w8a8(out.data(), xq.data(), xs.data(), s.batch, s.rows, s.cols, qvalues.data(),
                                  idx.data(), scales.data(), row_sums.data());
        else
          sj_bitmask_matmul_w8a8(out.data(), xq.data(), xs.data(), s.batch, s.rows, s.cols, mask.data(),
                                 offsets.data(), qvalues.data(), scales.data(), row_sums.data());
        expect(two_four ? "sparse24_w8a8" : "bitmask_w8a8", out.data(), ref, mag, 1e-6, s.batch, s.rows, s.cols);
      }
    }
  }
}

void test_quantize(Rng& rng) {
  for (const Shape& s : kShapes) {
    std::vector<float> x = randoms(rng, (size_t)s.batch * s.cols), scales(s.batch, NAN);
    if (s.batch > 1) std::fill(x.begin(), x.begin() + s.cols, 0.0f);  // an all-zero row: scale 1, values 0
    std::vector<int8_t> q(x.size());
    sj_quantize_rows_i8(q.data(), scales.data(), x.data(), s.batch, s.cols);
    for (int b = 0; b < s.batch; b++) {
      double amax = 0;
      for (int c = 0; c < s.cols; c++) amax = std::max(amax, std::fabs((double)x[(size_t)b * s.cols + c]));
      std::vector<double> ref(1, amax > 0 ? amax / 127 : 1.0), mag(1, ref[0] * 1e-1);
      expect("quantize_scale", &scales[b], ref, mag, 1e-5, s.batch, b, s.cols);
      for (int c = 0; c < s.cols; c++) {
        double want = amax > 0 ? std::nearbyint(x[(size_t)b * s.cols + c] * 127 / amax) : 0;
        std::vector<double> r1(1, want), m1(1, 1.0);  // within one step: the kernel scales in float
        float got = q[(size_t)b * s.cols + c];
        expect("quantize_value", &got, r1, m1, 1.0, s.batch, b, c);
      }
    }
  }
}

// Causal grouped-query attention: the contiguous cache and the paged one (with and without a window), whose
// pages the test writes with sj_kv_write.
void test_attention(Rng& rng) {
  struct A {
    int batch, pos0, heads, kv_heads, head_size, page_tokens, window;
  };
  const A kCases[] = {{1, 0, 1, 1, 1, 1, 0}, {3, 2, 4, 2, 5, 2, 0}, {2, 6, 6, 3, 17, 3, 3}, {5, 11, 8, 2, 16, 4, 4},
                      {1, 40, 4, 4, 64, 16, 0}};
  for (const A& a : kCases) {
    const int dim = a.heads * a.head_size, kv_dim = a.kv_heads * a.head_size, len = a.pos0 + a.batch;
    std::vector<float> q = randoms(rng, (size_t)a.batch * dim), kc = randoms(rng, (size_t)len * kv_dim),
                       vc = randoms(rng, (size_t)len * kv_dim);
    for (int window = 0; window <= (a.window > 0); window++) {
      const int w = window ? a.window : 0;
      std::vector<double> ref((size_t)a.batch * dim, 0), mag((size_t)a.batch * dim, 0);
      for (int b = 0; b < a.batch; b++)
        for (int h = 0; h < a.heads; h++) {
          const int kvh = h / (a.heads / a.kv_heads), last = a.pos0 + b, from = w > 0 ? std::max(0, last - w + 1) : 0;
          std::vector<double> sc(last + 1);
          double mx = -INFINITY, sum = 0;
          for (int t = from; t <= last; t++) {
            double d = 0;
            for (int i = 0; i < a.head_size; i++)
              d += (double)q[(size_t)b * dim + h * a.head_size + i] * kc[(size_t)t * kv_dim + kvh * a.head_size + i];
            sc[t] = d / std::sqrt((double)a.head_size);
            mx = std::max(mx, sc[t]);
          }
          for (int t = from; t <= last; t++) sum += (sc[t] = std::exp(sc[t] - mx));
          for (int t = from; t <= last; t++)
            for (int i = 0; i < a.head_size; i++) {
              double v = sc[t] / sum * vc[(size_t)t * kv_dim + kvh * a.head_size + i];
              ref[(size_t)b * dim + h * a.head_size + i] += v;
              mag[(size_t)b * dim + h * a.head_size + i] += std::fabs(v) + 1e-3;
            }
        }
      std::vector<float> out((size_t)a.batch * dim, NAN);
      if (!window) {
        sj_attention(out.data(), q.data(), kc.data(), vc.data(), a.batch, a.pos0, a.heads, a.kv_heads, a.head_size);
        expect("attention", out.data(), ref, mag, 1e-4, a.batch, a.pos0, a.head_size);
      }
      // Paged: one page per page_tokens positions, keys then values of this layer after some other layer's.
      const int n_pages = (len + a.page_tokens - 1) / a.page_tokens;
      const long key_offset = (long)a.page_tokens * kv_dim, value_offset = 3L * a.page_tokens * kv_dim;
      std::vector<std::vector<float>> pages(n_pages, std::vector<float>((size_t)4 * a.page_tokens * kv_dim, NAN));
      std::vector<int64_t> table(n_pages);
      for (int p = 0; p < n_pages; p++) table[p] = (int64_t)(intptr_t)pages[n_pages - 1 - p].data();
      // Positions before pos0 written as one earlier pass, then this pass's rows as two segments of one sequence
      // would not be valid (one sequence per segment), so this batch is one segment.
      if (a.pos0 > 0) {
        int32_t early[4] = {0, a.pos0, 0, 0};
        sj_kv_write(kc.data(), vc.data(), 1, early, table.data(), a.page_tokens, key_offset, value_offset, kv_dim);
      }
      int32_t seg[4] = {0, a.batch, a.pos0, 0};
      sj_kv_write(kc.data() + (size_t)a.pos0 * kv_dim, vc.data() + (size_t)a.pos0 * kv_dim, 1, seg, table.data(),
                  a.page_tokens, key_offset, value_offset, kv_dim);
      std::fill(out.begin(), out.end(), NAN);
      sj_attention_paged_window(out.data(), q.data(), 1, seg, table.data(), a.page_tokens, key_offset, value_offset,
                                a.heads, a.kv_heads, a.head_size, w);
      expect(window ? "attention_paged_window" : "attention_paged", out.data(), ref, mag, 1e-4, a.batch, a.pos0,
             a.head_size);
    }
  }
}

void test_llama_ops(Rng& rng) {
  for (const Shape& s : kShapes) {
    const int dim = s.cols;
    std::vector<float> x = randoms(rng, (size_t)s.batch * dim), wt = randoms(rng, dim), out(x.size(), NAN);
    std::vector<double> ref(x.size()), mag(x.size());
    for (int b = 0; b < s.batch; b++) {
      double ss = 0;
      for (int i = 0; i < dim; i++) ss += (double)x[(size_t)b * dim + i] * x[(size_t)b * dim + i];
      double inv = 1 / std::sqrt(ss / dim + 1e-5);
      for (int i = 0; i < dim; i++) {
        ref[(size_t)b * dim + i] = x[(size_t)b * dim + i] * inv * wt[i];
        mag[(size_t)b * dim + i] = std::fabs(ref[(size_t)b * dim + i]) + 1e-3;
      }
    }
    sj_rmsnorm(out.data(), x.data(), wt.data(), s.batch, dim, 1e-5f);
    expect("rmsnorm", out.data(), ref, mag, 1e-5, s.batch, dim, 0);

    std::vector<float> h1 = randoms(rng, x.size()), h3 = randoms(rng, x.size());
    for (size_t i = 0; i < x.size(); i++) {
      double v = h1[i];
      ref[i] = v / (1 + std::exp(-v)) * h3[i];
      mag[i] = std::fabs(ref[i]) + 1e-3;
    }
    sj_swiglu(h1.data(), h3.data(), (long)h1.size());
    expect("swiglu", h1.data(), ref, mag, 1e-5, s.batch, dim, 0);

    std::vector<float> y = randoms(rng, x.size()), sumx = x;
    for (size_t i = 0; i < x.size(); i++) ref[i] = (double)x[i] + y[i], mag[i] = 1e-3;
    sj_add(sumx.data(), y.data(), (long)x.size());
    expect("add", sumx.data(), ref, mag, 1e-4, s.batch, dim, 0);

    std::vector<float> sm = x;
    double mx = -INFINITY, total = 0;
    for (int i = 0; i < dim; i++) mx = std::max(mx, (double)x[i]);
    for (int i = 0; i < dim; i++) total += std::exp(x[i] - mx);
    std::vector<double> sref(dim), smag(dim, 1.0);
    for (int i = 0; i < dim; i++) sref[i] = std::exp(x[i] - mx) / total;
    sj_softmax(sm.data(), dim);
    expect("softmax", sm.data(), sref, smag, 1e-6, dim, 0, 0);

    std::vector<double> xs(1, 0), xm(1, 0);
    for (float v : x) xs[0] += v, xm[0] += std::fabs(v);
    float got = (float)sj_sum_f32(x.data(), (long)x.size());
    expect("sum_f32", &got, xs, xm, 1e-5, (int)x.size(), 0, 0);
  }
  // RoPE, both layouts, with theta and with given frequencies and a scale.
  const int kHeads[][3] = {{1, 1, 2}, {4, 2, 6}, {6, 3, 64}, {8, 8, 18}};
  for (const auto& hh : kHeads) {
    const int heads = hh[0], kv_heads = hh[1], hs = hh[2], batch = 3, pos0 = 5, half = hs / 2;
    std::vector<float> freqs(half);
    for (int i = 0; i < half; i++) freqs[i] = 1.0f / std::pow(10000.0f, 2.0f * i / hs) * 0.5f;
    for (int style = 0; style < 2; style++)
      for (int given = 0; given < 2; given++) {
        std::vector<float> q = randoms(rng, (size_t)batch * heads * hs), k = randoms(rng, (size_t)batch * kv_heads * hs);
        std::vector<double> rq(q.size()), rk(k.size()), mq(q.size(), 1.0), mk(k.size(), 1.0);
        const double scale = given ? 0.75 : 1.0;
        for (int which = 0; which < 2; which++) {
          const std::vector<float>& v = which ? k : q;
          std::vector<double>& r = which ? rk : rq;
          const int nh = which ? kv_heads : heads;
          for (int b = 0; b < batch; b++)
            for (int h = 0; h < nh; h++)
              for (int i = 0; i < half; i++) {
                double f = given ? freqs[i] : 1.0 / std::pow(10000.0, 2.0 * i / hs), ang = (pos0 + b) * f;
                size_t base = ((size_t)b * nh + h) * hs;
                size_t ia = base + (style == SJ_ROPE_HALF ? i : 2 * i), ib = base + (style == SJ_ROPE_HALF ? i + half : 2 * i + 1);
                r[ia] = scale * (v[ia] * std::cos(ang) - v[ib] * std::sin(ang));
                r[ib] = scale * (v[ia] * std::sin(ang) + v[ib] * std::cos(ang));
              }
        }
        if (given)
          sj_rope_freqs(q.data(), k.data(), batch, pos0, heads, kv_heads, hs, freqs.data(), (float)scale, style);
        else
          sj_rope(q.data(), k.data(), batch, pos0, heads, kv_heads, hs, 10000.0f, style);
        expect("rope_q", q.data(), rq, mq, 1e-5, heads, hs, style);
        expect("rope_k", k.data(), rk, mk, 1e-5, kv_heads, hs, style);
      }
  }
}

// sj_exp_f32 against double exp: every 331st float bit pattern between -104 and 89 (subnormal results and the
// overflow edge included) within 2 ulp of the float nearest e^x, and the edges exactly: -inf and anything below
// -104 give 0, +inf and anything past 88.73 give +inf, NaN stays NaN.
void test_exp() {
  std::vector<float> x;
  for (uint32_t b = 0; b < 0x80000000u; b += 331) {
    float f;
    std::memcpy(&f, &b, 4);
    if (f <= 89.0f) x.push_back(f);
    const uint32_t nb = b | 0x80000000u;
    std::memcpy(&f, &nb, 4);
    if (f >= -104.0f) x.push_back(f);
  }
  const float edges[] = {-INFINITY, -1e30f, -104.5f, -103.9f, -87.5f, 88.72f, 88.73f, 1e30f, INFINITY, NAN};
  x.insert(x.end(), std::begin(edges), std::end(edges));
  std::vector<float> y(x.size());
  sj_exp_f32(y.data(), x.data(), (long)x.size());
  double worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); i++) {
    g_checks++;
    const double e = std::exp((double)x[i]);
    const float want = (float)e;
    bool ok;
    if (std::isnan(x[i])) {
      ok = std::isnan(y[i]);
    } else if (want == 0 || std::isinf(want)) {
      ok = y[i] == want || std::fabs(y[i] - e) <= 2 * std::ldexp(1.0, -149);
    } else {
      // ulps of the float nearest e^x (the subnormal spacing below 2^-126)
      const double ulp = std::ldexp(1.0, std::max(std::ilogb(want), -126) - 23);
      const double err = std::fabs((double)y[i] - e) / ulp;
      if (err > worst) worst = err, worst_x = x[i];
      ok = err <= 2.0;
    }
    if (!ok && g_failures++ < 40) std::printf("FAIL exp on %s at %.9g: got %.9g want %.9g\n", g_isa, x[i], y[i], e);
  }
  std::printf("%s: exp within %.2f ulp (worst at %.9g)\n", g_isa, worst, worst_x);
}

}  // namespace

// What a memory-mapped F32 tensor at an odd file offset would hand the kernels (an unpadded safetensors header).
// The Java readers copy such tensors to aligned memory (BoundedFile.mapAligned); this case shows that the sanitized
// build reports the misaligned loads the kernels would otherwise make (ctest expects the report).
int misaligned_weights() {
  std::vector<char> raw(4 * 3 * 13 + 8);
  const float* w = reinterpret_cast<const float*>(raw.data() + 1);
  std::vector<float> x(13, 1.0f), out(3);
  sj_matmul_f32(out.data(), x.data(), w, 1, 3, 13);
  std::printf("misaligned weights: no report\n");
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--misaligned") == 0) return misaligned_weights();
  int ran = 0;
  for (int isa = 0; isa < sj_isa_count(); isa++) {
    if (sj_isa_select(isa) != isa) {
      std::printf("skip %s: this CPU cannot run it\n", sj_isa_name(isa));
      continue;
    }
    g_isa = sj_isa_name(isa);
    for (int threads : {1, 3}) {  // one thread, and the pool with more workers than this machine may have cores
      sj_set_threads(threads);
      Rng rng{0x9e3779b97f4a7c15ULL + (uint64_t)isa * 7919 + threads};
      test_dense(rng);
      test_block_format(rng, false);
      test_block_format(rng, true);
      test_sparse(rng);
      test_quantize(rng);
      test_attention(rng);
      test_llama_ops(rng);
    }
    test_exp();
    std::printf("%s: kernels checked\n", g_isa);
    ran++;
  }
  std::printf("%ld checks on %d ISAs, %d failed\n", g_checks, ran, g_failures);
  return g_failures == 0 && ran > 0 ? 0 : 1;
}
