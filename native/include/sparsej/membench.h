// Memory read bandwidth probe (STREAM-like sum), run beside kernel benchmarks to express them as a fraction of it.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

// Sum of x[0..n) over all kernel threads (each sums a contiguous share). The result defeats dead-code elimination.
double sj_sum_f32(const float* x, long n);

#ifdef __cplusplus
}
#endif
