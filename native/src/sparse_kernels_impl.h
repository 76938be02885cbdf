// The sparse kernel table of one ISA, from the family templates. Included by each sparse_<isa>.cpp inside its
// target region, after the traits.
#pragma once
#include "sparse_table.h"
#include "spmv_bitmask_impl.h"
#include "sparse24_impl.h"

namespace {

// The table row of one ISA: S the float traits, Q the W8A8 traits.
template <class S, class Q>
constexpr sj::SparseKernelTable make_sparse_table(const char* name) {
  return sj::SparseKernelTable{name,
                               &bitmask_rows<S, float>,
                               &bitmask_rows<S, int8_t>,
                               &bitmask_w8a8_rows<Q>,
                               &sparse24_rows<S, float>,
                               &sparse24_rows<S, int8_t>,
                               &sparse24_w8a8_rows<Q>,
                               &quantize_row,
                               &absmax_row};
}

}  // namespace
