// Software prefetch for the decode (batch 1) kernels, which stream each weight row from memory once: the hardware
// prefetcher alone keeps too few lines in flight per core. On the AVX2 EPYC a fetch 1 KiB ahead took the Q8_0
// decode matmuls from 11.5 to 14.5 GB/s; on the Intel AVX-512 machine one 2 KiB ahead took BF16 rows from
// 12.5-14.0 to 16.2-19.4 GB/s (docs/benchmarks.md). A hint: it never faults, even past the end of a weight, and
// changes no result. Include inside a kernel file's target region.
#pragma once

namespace {

constexpr int kStreamAheadBytes = 2048;

template <int Bytes = kStreamAheadBytes>
inline void prefetch_ahead(const void* p) {
  __builtin_prefetch(static_cast<const char*>(p) + Bytes);
}

}  // namespace
