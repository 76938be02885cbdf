// Memory read bandwidth probe (STREAM-like sum), run beside kernel benchmarks to express them as a fraction of it,
// and a core clock probe, run beside them to show how many cycles the machine gave (a VM may give a fraction).
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

// Sum of x[0..n) over all kernel threads (each sums a contiguous share). The result defeats dead-code elimination.
double sj_sum_f32(const float* x, long n);

// Iterations per nanosecond of a loop of `iterations` adds that each wait on the one before (one per cycle on
// every x86 core SparseJ runs on), on the calling thread: the clock its core ran at while probed, in GHz.
double sj_core_clock_ghz(long iterations);

#ifdef __cplusplus
}
#endif
