// Software prefetch for the sparse decode kernels. Decode reads each weight once from memory, a sparse row is two
// streams (mask or 2:4 indices, and packed values) read at a pace set by popcounts, and on 4 KiB pages the hardware
// prefetcher stops at every page end. The kernels fetch each stream kSparsePrefetchBytes ahead of their reads; rows
// follow one another in both streams, so near a row's end this fetches the next rows. The traits choose it
// (kPrefetchBytes, 0 for none). On the Emerald Rapids VM 4 KiB beat 0.25-2 KiB and matched 8-32 KiB
// (docs/benchmarks.md, "Sparse kernels").
#pragma once

namespace {

constexpr int kSparsePrefetchBytes = 4096;

// A hint: never faults, even past the end of the weights. Bytes = 0 compiles to nothing.
template <int Bytes>
inline void prefetch_ahead(const void* p) {
  if constexpr (Bytes > 0) __builtin_prefetch(static_cast<const char*>(p) + Bytes);
}

}  // namespace
