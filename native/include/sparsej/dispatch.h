// Kernel ISA selection: probed once from CPUID, optionally lowered by SPARSEJ_ISA. The ISAs, their CPU
// features and their kernels are listed once, in native/src/isa_list.h.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

enum sj_isa {
  SJ_ISA_SCALAR = 0,
  SJ_ISA_AVX2 = 1,
  SJ_ISA_AVX512 = 2,
  // AVX-512 plus VNNI, VBMI and VBMI2 (Ice Lake, Zen 4): int8 sparse kernels use vpexpandb/vpdpbusd;
  // dense kernels are those of SJ_ISA_AVX512.
  SJ_ISA_AVX512_VNNI = 3,
  // AVX512_VNNI plus AVX-512 BF16 (Sapphire Rapids, Zen 4): detected and selectable; runs avx512vnni's kernels.
  SJ_ISA_AVX512_BF16 = 4
};

// Best ISA this CPU (and OS) supports.
int sj_isa_detected(void);
// ISA the kernels use now: detected, or lower if SPARSEJ_ISA or sj_isa_select asked for it.
int sj_isa_active(void);
// Number of ISAs the dispatcher knows: sj_isa values are 0 .. sj_isa_count() - 1, each above its predecessors.
int sj_isa_count(void);
// Selects a kernel ISA; returns the ISA now active, or -1 if the CPU cannot run the one asked for.
int sj_isa_select(int isa);
const char* sj_isa_name(int isa);
// Comma-separated CPU features of the ISA list that this CPU has ("sse2,avx2,fma,...").
const char* sj_cpu_features(void);

// Thread count the native kernels use (OpenMP); n < 1 means "all cores".
void sj_set_threads(int n);
int sj_get_threads(void);

// Test hook: pool workers sleep this long after each wake-up, as if descheduled on a busy machine (0: off).
void sj_pool_test_worker_delay(int micros);

#ifdef __cplusplus
}
#endif
