// Every kernel of libsparsej_cuda against a double-precision CPU reference on odd sizes, through the C API the
// Java backend calls (sparsej_cuda.h). Prints one PASS/FAIL/SKIP line per check and exits with the failure count.
// Without a GPU only the host-side 2:4 packing check runs. ci/cuda-device-check.sh runs it on the GPU machine.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sparsej_cuda/sparsej_cuda.h"

namespace {

int failures = 0;
std::mt19937 rng(1234);

std::vector<float> random_floats(size_t n, float scale = 1.0f) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

// Worst |got - want| / (atol + rtol |want|) must stay <= 1; NaN anywhere fails.
void report(const std::string& name, const std::vector<float>& got, const std::vector<double>& want, double atol,
            double rtol) {
  double worst = 0;
  size_t at = 0;
  bool nan = false;
  for (size_t i = 0; i < want.size(); i++) {
    if (std::isnan(got[i])) nan = true;
    const double e = std::fabs(got[i] - want[i]) / (atol + rtol * std::fabs(want[i]));
    if (e > worst) worst = e, at = i;
  }
  const bool ok = !nan && worst <= 1.0;
  if (!ok) failures++;
  std::printf("%s %-44s worst %.3g of tolerance at %zu (got %.6g want %.6g)%s\n", ok ? "PASS" : "FAIL", name.c_str(),
              worst, at, want.empty() ? 0.0 : got[at], want.empty() ? 0.0 : want[at], nan ? " NaN" : "");
}

struct Dev {
  int64_t p = 0;
  size_t bytes = 0;
  explicit Dev(size_t b) : p(sjc_malloc((int64_t)b)), bytes(b) {
    if (p == 0) {
      std::printf("FAIL malloc %zu: %s\n", b, sjc_last_error());
      std::exit(1);
    }
  }
  Dev(const std::vector<float>& v) : Dev(v.size() * 4) { sjc_upload(p, v.data(), (int64_t)bytes); }
  ~Dev() { sjc_free(p); }
  std::vector<float> floats() const {
    std::vector<float> v(bytes / 4);
    if (sjc_download(v.data(), p, (int64_t)bytes) != 0) std::printf("download failed: %s\n", sjc_last_error());
    return v;
  }
};

void require(int status, const char* what) {
  if (status != 0) {
    std::printf("FAIL %s: %s\n", what, sjc_last_error());
    failures++;
  }
}

float round_half(float v, int dtype) {  // host reference rounding of FP16 / BF16 (round to nearest even)
  if (dtype == SJC_BF16) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    u += 0x7fff + ((u >> 16) & 1);
    u &= 0xffff0000u;
    float r;
    std::memcpy(&r, &u, 4);
    return r;
  }
  // FP16: 11 significant bits for normal values (the test values stay in the normal range)
  int e;
  const double m = std::frexp((double)v, &e);
  return (float)std::ldexp(std::nearbyint(std::ldexp(m, 11)), e - 11);
}

// A random 2:4 matrix with every kind of group: 0, 1 or 2 non-zeros, at any positions.
std::vector<float> random_24(int rows, int cols) {
  std::vector<float> w((size_t)rows * cols, 0.0f);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int r = 0; r < rows; r++) {
    for (int c0 = 0; c0 < cols; c0 += 4) {
      const int keep = (int)(rng() % 3);
      int picked = 0;
      for (int i = 0; i < 4 && c0 + i < cols; i++) {
        if (picked < keep && (rng() % 2 == 0 || 4 - i <= keep - picked)) {
          w[(size_t)r * cols + c0 + i] = round_half(u(rng), SJC_F16);
          picked++;
        }
      }
    }
  }
  return w;
}

std::vector<double> reference_matmul(const std::vector<float>& w, const std::vector<float>& x, int rows, int cols,
                                     int batch, int dtype) {
  std::vector<double> out((size_t)batch * rows);
  for (int b = 0; b < batch; b++)
    for (int r = 0; r < rows; r++) {
      double s = 0;
      for (int c = 0; c < cols; c++)
        s += (double)round_half(w[(size_t)r * cols + c], dtype) * round_half(x[(size_t)b * cols + c], dtype);
      out[(size_t)b * rows + r] = s;
    }
  return out;
}

// Host only: unpacking the mma.sp layout gives the matrix back (sparse24_pack_test emulates the instruction too).
void check_pack() {
  const int rows = 37, cols = 75;
  std::vector<float> w = random_24(rows, cols);
  std::vector<uint16_t> values(sjc_pack_sparse24_values(rows, cols));
  std::vector<uint32_t> meta(sjc_pack_sparse24_meta(rows, cols));
  if (values.empty()) {
    std::printf("SKIP pack: %s\n", sjc_unavailable_reason());
    return;
  }
  require(sjc_pack_sparse24(w.data(), rows, cols, values.data(), meta.data()), "pack");
  const int chunks = (cols + 31) / 32;
  std::vector<float> back((size_t)rows * cols, 0.0f);
  auto half_to_float = [](uint16_t h) {
    const int e = (h >> 10) & 31, m = h & 1023;
    const double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
    return (float)((h & 0x8000) ? -v : v);
  };
  for (int tile = 0; tile < (rows + 15) / 16; tile++)
    for (int kc = 0; kc < chunks; kc++) {
      const size_t at = (size_t)tile * chunks + kc;
      for (int lane = 0; lane < 32; lane++) {
        const int g = lane >> 2, t = lane & 3;
        const int frag_row[8] = {g, g, g + 8, g + 8, g, g, g + 8, g + 8};
        const int frag_col[8] = {2 * t, 2 * t + 1, 2 * t, 2 * t + 1, 2 * t + 8, 2 * t + 9, 2 * t + 8, 2 * t + 9};
        for (int i = 0; i < 8; i++) {
          const int row = frag_row[i], cc = frag_col[i], group = cc / 2, slot = cc % 2;
          // lane (g', t') with t' = group / 4 holds rows g' (low half) and g' + 8 (high half)
          const int gg = row % 8, tt = group / 4;
          const uint32_t word = meta[at * 16 + gg * 2 + tt];
          const uint32_t nib = (word >> (4 * ((row >= 8 ? 4 : 0) + group % 4))) & 15;
          const int idx = slot == 0 ? (nib & 3) : (nib >> 2);
          const int r = tile * 16 + row, c = kc * 32 + group * 4 + idx;
          const float v = half_to_float(values[(at * 32 + lane) * 8 + i]);
          if (r < rows && c < cols && v != 0.0f) back[(size_t)r * cols + c] = v;
        }
      }
    }
  std::vector<double> want(w.begin(), w.end());
  report("pack 2:4 37x75 (host, unpacked again)", back, want, 1e-30, 0);
}

void check_elementwise() {
  for (int dim : {37, 4103}) {
    const int batch = 3;
    auto x = random_floats((size_t)batch * dim, 3.0f), w = random_floats(dim);
    Dev dx(x), dw(w), dout((size_t)batch * dim * 4);
    require(sjc_rmsnorm(dout.p, dx.p, dw.p, batch, dim, 1e-5f), "rmsnorm");
    std::vector<double> want((size_t)batch * dim);
    for (int b = 0; b < batch; b++) {
      double ss = 0;
      for (int i = 0; i < dim; i++) ss += (double)x[b * dim + i] * x[b * dim + i];
      const double s = 1.0 / std::sqrt(ss / dim + 1e-5);
      for (int i = 0; i < dim; i++) want[b * dim + i] = x[b * dim + i] * s * w[i];
    }
    report("rmsnorm dim " + std::to_string(dim), dout.floats(), want, 1e-5, 1e-4);
  }
  for (int n : {1, 1000, 4099}) {
    auto x = random_floats(n, 8.0f);
    Dev dx(x);
    require(sjc_softmax(dx.p, n), "softmax");
    double m = -1e300, sum = 0;
    for (float v : x) m = std::max(m, (double)v);
    for (float v : x) sum += std::exp(v - m);
    std::vector<double> want(n);
    for (int i = 0; i < n; i++) want[i] = std::exp(x[i] - m) / sum;
    report("softmax n " + std::to_string(n), dx.floats(), want, 1e-7, 1e-4);
  }
  {
    const int n = 1027;
    auto a = random_floats(n, 6.0f), b = random_floats(n, 2.0f);
    Dev da(a), db(b), dc(a);
    require(sjc_swiglu(da.p, db.p, n), "swiglu");
    require(sjc_add(dc.p, db.p, n), "add");
    std::vector<double> want(n), sum(n);
    for (int i = 0; i < n; i++) {
      want[i] = a[i] / (1.0 + std::exp(-(double)a[i])) * b[i];
      sum[i] = (double)a[i] + b[i];
    }
    report("swiglu n 1027", da.floats(), want, 1e-6, 1e-4);
    report("add n 1027", dc.floats(), sum, 1e-6, 1e-6);
  }
  {
    const int vocab = 50, dim = 33, count = 7;
    auto table = random_floats((size_t)vocab * dim);
    std::vector<int> ids = {0, 49, 3, 3, 17, 48, 1};
    Dev dt(table), dout((size_t)count * dim * 4), dids(ids.size() * 4);
    sjc_upload(dids.p, ids.data(), (int64_t)ids.size() * 4);
    require(sjc_embedding(dout.p, dt.p, dids.p, count, dim), "embedding");
    std::vector<double> want((size_t)count * dim);
    for (int i = 0; i < count; i++)
      for (int d = 0; d < dim; d++) want[i * dim + d] = table[(size_t)ids[i] * dim + d];
    report("embedding vocab 50 dim 33", dout.floats(), want, 1e-30, 0);
  }
  for (int dtype : {SJC_F16, SJC_BF16}) {
    const int n = 999;
    auto x = random_floats(n, 100.0f);
    Dev dx(x), dh(n * 2), dback(n * 4);
    require(sjc_to_half(dh.p, dx.p, n, dtype), "to_half");
    require(sjc_from_half(dback.p, dh.p, n, dtype), "from_half");
    std::vector<double> want(n);
    for (int i = 0; i < n; i++) want[i] = round_half(x[i], dtype);
    report(std::string("f32 -> ") + (dtype == SJC_BF16 ? "bf16" : "f16") + " -> f32", dback.floats(), want, 1e-30, 1e-7);
  }
}

void check_rope() {
  for (int style : {0, 1}) {
    const int batch = 3, pos0 = 13, n_heads = 5, n_kv = 1, hs = 6;
    std::vector<float> freqs = {1.0f, 0.1f, 0.013f};
    auto q = random_floats((size_t)batch * n_heads * hs), k = random_floats((size_t)batch * n_kv * hs);
    Dev dq(q), dk(k), df(freqs);
    require(sjc_rope(dq.p, dk.p, batch, pos0, n_heads, n_kv, hs, df.p, 0.9f, style), "rope");
    auto rotate = [&](std::vector<float> v, int heads) {
      std::vector<double> out(v.begin(), v.end());
      for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
          for (int i = 0; i < hs / 2; i++) {
            const double angle = (double)(float)((pos0 + b) * freqs[i]);
            const size_t base = ((size_t)b * heads + h) * hs;
            const size_t a = base + (style == 1 ? i : 2 * i), o = base + (style == 1 ? i + hs / 2 : 2 * i + 1);
            const double c = std::cos(angle) * 0.9, s = std::sin(angle) * 0.9;
            out[a] = v[a] * c - v[o] * s;
            out[o] = v[a] * s + v[o] * c;
          }
      return out;
    };
    report("rope q style " + std::to_string(style), dq.floats(), rotate(q, n_heads), 1e-5, 1e-4);
    report("rope k style " + std::to_string(style), dk.floats(), rotate(k, n_kv), 1e-5, 1e-4);
  }
}

// Two sequences over 5-token pages, 2 layers; GQA 6 heads on 2 kv heads of 40 values; window 0 and 3.
void check_attention() {
  const int layers = 2, page_tokens = 5, n_heads = 6, n_kv = 2, hs = 40, kv_dim = n_kv * hs, dim = n_heads * hs;
  const int layer = 1;
  struct Seq {
    int pos0, rows;
  } seqs[2] = {{7, 3}, {0, 4}};
  const int rows = 7;
  const long page_floats = 2L * layers * page_tokens * kv_dim;
  const long key_offset = (long)layer * 2 * page_tokens * kv_dim, value_offset = key_offset + page_tokens * kv_dim;
  std::vector<Dev*> pages;
  std::vector<int32_t> segs;
  std::vector<int64_t> table;
  std::vector<std::vector<float>> keys(2), vals(2);  // every position's key and value per sequence
  int row0 = 0;
  for (auto& s : seqs) {
    const int n_pages = (s.pos0 + s.rows + page_tokens - 1) / page_tokens;
    segs.insert(segs.end(), {row0, s.rows, s.pos0, (int)table.size()});
    for (int p = 0; p < n_pages; p++) {
      pages.push_back(new Dev(page_floats * 4));
      table.push_back(pages.back()->p);
    }
    row0 += s.rows;
  }
  // Earlier positions: written straight into the pages, as earlier passes would have.
  for (int si = 0; si < 2; si++) {
    keys[si] = random_floats((size_t)(seqs[si].pos0 + seqs[si].rows) * kv_dim);
    vals[si] = random_floats((size_t)(seqs[si].pos0 + seqs[si].rows) * kv_dim);
    for (int pos = 0; pos < seqs[si].pos0; pos++) {
      const int64_t page = table[segs[4 * si + 3] + pos / page_tokens];
      const int64_t at = 4 * ((pos % page_tokens) * (int64_t)kv_dim);
      sjc_upload(page + 4 * key_offset + at, &keys[si][(size_t)pos * kv_dim], kv_dim * 4);
      sjc_upload(page + 4 * value_offset + at, &vals[si][(size_t)pos * kv_dim], kv_dim * 4);
    }
  }
  std::vector<float> k((size_t)rows * kv_dim), v((size_t)rows * kv_dim);
  row0 = 0;
  for (int si = 0; si < 2; si++) {
    for (int i = 0; i < seqs[si].rows; i++)
      for (int d = 0; d < kv_dim; d++) {
        k[(size_t)(row0 + i) * kv_dim + d] = keys[si][(size_t)(seqs[si].pos0 + i) * kv_dim + d];
        v[(size_t)(row0 + i) * kv_dim + d] = vals[si][(size_t)(seqs[si].pos0 + i) * kv_dim + d];
      }
    row0 += seqs[si].rows;
  }
  std::vector<uint8_t> host_table(segs.size() * 4 + table.size() * 8);
  std::memcpy(host_table.data(), segs.data(), segs.size() * 4);
  std::memcpy(host_table.data() + segs.size() * 4, table.data(), table.size() * 8);
  Dev dtable(host_table.size());
  sjc_upload(dtable.p, host_table.data(), (int64_t)host_table.size());
  Dev dk(k), dv(v);
  require(sjc_kv_write(dk.p, dv.p, rows, 2, dtable.p, page_tokens, key_offset, value_offset, kv_dim), "kv_write");
  auto q = random_floats((size_t)rows * dim, 2.0f);
  Dev dq(q), dout((size_t)rows * dim * 4);
  for (int window : {0, 3}) {
    require(sjc_attention_paged(dout.p, dq.p, rows, 2, dtable.p, page_tokens, key_offset, value_offset, n_heads, n_kv,
                                hs, window),
            "attention");
    std::vector<double> want((size_t)rows * dim);
    row0 = 0;
    for (int si = 0; si < 2; si++) {
      for (int i = 0; i < seqs[si].rows; i++) {
        const int r = row0 + i, last = seqs[si].pos0 + i, from = window > 0 ? std::max(0, last - window + 1) : 0;
        for (int h = 0; h < n_heads; h++) {
          const int kvh = h / (n_heads / n_kv);
          std::vector<double> score(last + 1);
          double m = -1e300, sum = 0;
          for (int t = from; t <= last; t++) {
            double dot = 0;
            for (int d = 0; d < hs; d++) dot += (double)q[(size_t)r * dim + h * hs + d] * keys[si][(size_t)t * kv_dim + kvh * hs + d];
            score[t] = dot / std::sqrt((double)hs);
            m = std::max(m, score[t]);
          }
          for (int t = from; t <= last; t++) sum += std::exp(score[t] - m);
          for (int d = 0; d < hs; d++) {
            double o = 0;
            for (int t = from; t <= last; t++) o += std::exp(score[t] - m) / sum * vals[si][(size_t)t * kv_dim + kvh * hs + d];
            want[(size_t)r * dim + h * hs + d] = o;
          }
        }
      }
      row0 += seqs[si].rows;
    }
    report("paged attention (2 seqs, GQA, window " + std::to_string(window) + ")", dout.floats(), want, 1e-5, 1e-4);
  }
  // The pages hold this pass's keys now: read one back.
  std::vector<float> page0(page_floats);
  sjc_download(page0.data(), table[segs[4 * 1 + 3]], page_floats * 4);
  std::vector<float> got(page0.begin() + key_offset, page0.begin() + key_offset + kv_dim);
  std::vector<double> want(keys[1].begin(), keys[1].begin() + kv_dim);
  report("kv_write key of position 0", got, want, 1e-30, 0);
  for (auto* p : pages) delete p;
}

void check_matmul(const char* name, int64_t weight, const std::vector<float>& w, int rows, int cols, int dtype) {
  for (int batch : {1, 7, 9, 16, 33}) {
    auto x = random_floats((size_t)batch * cols);
    Dev dx(x), dout((size_t)batch * rows * 4);
    std::vector<float> nan((size_t)batch * rows, NAN);
    sjc_upload(dout.p, nan.data(), (int64_t)nan.size() * 4);  // poisoned: every output must be written
    require(sjc_matmul(dout.p, dx.p, weight, batch), name);
    report(std::string(name) + " " + std::to_string(rows) + "x" + std::to_string(cols) + " batch " +
               std::to_string(batch),
           dout.floats(), reference_matmul(w, x, rows, cols, batch, dtype), 1e-3, 2e-3);
  }
}

void check_gemms() {
  const int rows = 50, cols = 70;
  for (int dtype : {SJC_F16, SJC_BF16}) {
    if (const char* r = sjc_cublas_reason()) {
      std::printf("SKIP cuBLAS: %s\n", r);
      failures++;  // the device check expects cuBLAS
      break;
    }
    auto w = random_floats((size_t)rows * cols);
    const int64_t h = sjc_weight_dense_f32(w.data(), rows, cols, dtype);
    check_matmul(dtype == SJC_BF16 ? "cublas bf16" : "cublas f16", h, w, rows, cols, dtype);
    sjc_weight_free(h);
  }
  auto w24 = random_24(rows, cols);
  {  // the metadata layout is proven on the host (sparse24_pack_test); this is the hardware's word on it
    const int64_t h = sjc_weight_sparse24(w24.data(), rows, cols, SJC_PATH_MMA_SP);
    if (h == 0) {
      std::printf("FAIL mma.sp prepare: %s\n", sjc_last_error());
      failures++;
    } else {
      check_matmul("mma.sp", h, w24, rows, cols, SJC_F16);
      sjc_weight_free(h);
    }
  }
  if (const char* r = sjc_cusparselt_reason()) {
    std::printf("SKIP cuSPARSELt: %s\n", r);
    return;
  }
  for (auto shape : {std::pair<int, int>{rows, cols}, std::pair<int, int>{128, 256}}) {
    auto w = shape.first == rows ? w24 : random_24(shape.first, shape.second);
    const int64_t h = sjc_weight_sparse24(w.data(), shape.first, shape.second, SJC_PATH_CUSPARSELT);
    if (h == 0) {
      std::printf("FAIL cuSPARSELt prepare: %s\n", sjc_last_error());
      failures++;
      continue;
    }
    check_matmul("cusparselt", h, w, shape.first, shape.second, SJC_F16);
    sjc_weight_free(h);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // --require-gpu (the device check): no usable GPU is a failure there, not a skip.
  const bool require_gpu = argc > 1 && std::strcmp(argv[1], "--require-gpu") == 0;
  check_pack();
  if (const char* r = sjc_unavailable_reason()) {
    std::printf("%s device checks: %s\n", require_gpu ? "FAIL" : "SKIP", r);
    return failures + (require_gpu ? 1 : 0);
  }
  std::printf("device: %s\nINFO cuSPARSELt %s\n", sjc_describe(),
              sjc_cusparselt_reason() ? sjc_cusparselt_reason() : sjc_cusparselt_version());
  check_elementwise();
  check_rope();
  check_attention();
  check_gemms();
  std::printf("%s: %d failure(s)\n", failures == 0 ? "ALL PASS" : "FAILED", failures);
  return failures;
}
