// Q8_0 / Q4_0 scalar variant: baseline x86-64, the fallback and reference for the SIMD variants.
#include "isa_list.h"
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"
SJ_ISA_BEGIN(scalar)

namespace {
struct Q8BlocksScalar {
  struct wvec {
    int8_t v[32];
  };
  using acc = float;
  static inline wvec load_q8(const uint8_t* qs) {
    wvec w;
    std::memcpy(w.v, qs, 32);
    return w;
  }
  static inline acc zero() { return 0.0f; }
  static inline acc fma_block(acc a, float scale, const wvec& w, const int8_t* x) {
    int32_t s = 0;
    for (int j = 0; j < 32; j++) s += w.v[j] * x[j];
    return a + scale * (float)s;
  }
  // The reference form: nibbles minus 8 (the offsets serve the SIMD rows; the int32 sum is the same).
  static inline acc fma_q4(acc a, float scale, const uint8_t* qs, const int8_t* x, const int32_t* off) {
    wvec w;
    for (int j = 0; j < 16; j++) {
      w.v[j] = (int8_t)((qs[j] & 15) - 8);
      w.v[16 + j] = (int8_t)((qs[j] >> 4) - 8);
    }
    return fma_block(a, scale, w, x);
  }
  static inline float sum(acc a) { return a; }
  static inline float half(const uint8_t* p);
};
}  // namespace

#include "q8_0_impl.h"

namespace {
inline float Q8BlocksScalar::half(const uint8_t* p) { return q8_f16_to_f32(p); }
}  // namespace

namespace sj {
extern const Q8Table q8_0_scalar{"scalar", &matmul_block_rows<Q8BlocksScalar, BlockQ8_0>,
                                  &matmul_block_rows<Q8BlocksScalar, BlockQ4_0>};
}
SJ_ISA_END
