// Software prefetch for the decode (batch 1) kernels, which stream each weight from memory once: the hardware
// prefetcher alone keeps too few lines in flight per core, and on 4 KiB pages it stops at every page end. On the
// AVX2 EPYC a fetch 1 KiB ahead took the Q8_0 decode matmuls from 11.5 to 14.5 GB/s; on the Intel AVX-512 machine
// one 2 KiB ahead took BF16 rows from 12.5-14.0 to 16.2-19.4 GB/s, and the sparse kernels' two streams (mask or 2:4
// indices, and packed values, read at a pace set by popcounts) fetched 4 KiB ahead went 1.3-1.8x faster, 4 KiB
// beating 0.25-2 KiB and matching 8-32 KiB; on the AVX2 Zen 3, 2-4 KiB was best for the F32 sparse kernels
// (docs/benchmarks.md). Rows follow one another in every stream, so near a row's end this fetches the next rows.
// Include inside a kernel file's target region.
#pragma once

namespace {

constexpr int kStreamAheadBytes = 2048;  // dense BF16/F16/W8A16 rows
constexpr int kSparsePrefetchBytes = 4096;  // the sparse traits' kPrefetchBytes (0 in the scalar traits)

// Decode reads rows of this many columns or more several at a time, several streams in flight: the dense F32 rows
// (kernels_impl.h, which says why short rows stay one stream) and the AVX-512 2:4 rows (sparse_rows_common.h).
constexpr int kMultiRowMinCols = 1024;

// A hint: it never faults, even past the end of a weight, and changes no result. Bytes = 0 compiles to nothing.
template <int Bytes = kStreamAheadBytes>
inline void prefetch_ahead(const void* p) {
  if constexpr (Bytes > 0) __builtin_prefetch(static_cast<const char*>(p) + Bytes);
}

}  // namespace
