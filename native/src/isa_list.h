// The one list of kernel ISAs. It drives CPUID detection (dispatch.cpp runs an ISA only where every feature of
// its target string is present), the target region of every per-ISA source file (SJ_ISA_BEGIN / SJ_ISA_END) and
// the kernel table row of each ISA (kernels.h). A new ISA is a features line and a row of SJ_ISA_LIST.
#pragma once

// GCC target strings, each a superset of the one before it. Scalar is baseline x86-64 (SSE2).
// Every AVX2 CPU (Haswell, Zen 1 on) also has BMI1/BMI2/POPCNT/F16C, which the sparse and half kernels use.
#define SJ_FEATURES_scalar "sse2"
#define SJ_FEATURES_avx2 "avx2,fma,bmi,bmi2,popcnt,f16c"
#define SJ_FEATURES_avx512 "avx2,fma,bmi,bmi2,popcnt,f16c,avx512f,avx512bw,avx512vl,avx512dq"
#define SJ_FEATURES_avx512vnni \
  "avx2,fma,bmi,bmi2,popcnt,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx512vbmi2"
#define SJ_FEATURES_avx512bf16 \
  "avx2,fma,bmi,bmi2,popcnt,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512vbmi,avx512vbmi2,avx512bf16"

// X(enum value, name, then per kernel family the variant this ISA runs). A family without a variant of its own
// for an ISA names the lower one it reuses: dense F32 and Q8_0 gain nothing from VNNI, so avx512vnni runs avx512's.
// No family has an AVX-512 BF16 variant now: vdpbf16ps on a two-term BF16 split of the activations measured no
// faster than widening BF16 to F32 in registers on an Intel AVX-512 BF16 CPU, at batch 1 and 64 (docs/benchmarks.md),
// and the widening kernel is exact and shares the blocked prefill kernel; the row keeps the ISA selectable.
//        enum                 name        dense   sparse      int8        q8_0    half
#define SJ_ISA_LIST(X)                                                                            \
  X(SJ_ISA_SCALAR,      scalar,     scalar, scalar,     scalar,     scalar, scalar)               \
  X(SJ_ISA_AVX2,        avx2,       avx2,   avx2,       avx2,       avx2,   avx2)                 \
  X(SJ_ISA_AVX512,      avx512,     avx512, avx512,     avx512,     avx512, avx512)               \
  X(SJ_ISA_AVX512_VNNI, avx512vnni, avx512, avx512vnni, avx512vnni, avx512, avx512)               \
  X(SJ_ISA_AVX512_BF16, avx512bf16, avx512, avx512vnni, avx512vnni, avx512, avx512)    

// Opens / closes the target region of one ISA in a per-ISA source file: every function defined inside it,
// template instantiations included, is compiled for that ISA; the rest of the library stays baseline x86-64.
#define SJ_PRAGMA_(x) _Pragma(#x)
#define SJ_TARGET_(features) SJ_PRAGMA_(GCC push_options) SJ_PRAGMA_(GCC target(features))
#define SJ_ISA_BEGIN(isa) SJ_TARGET_(SJ_FEATURES_##isa)
#define SJ_ISA_END SJ_PRAGMA_(GCC pop_options)
