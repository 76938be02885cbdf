// The kernel table row of every ISA in isa_list.h: one pointer per kernel family, chosen once by dispatch.cpp.
// Each family keeps its own table shape (kernel_table.h, sparse_table.h, int8_table.h, q8_0_table.h, half_table.h), defined by
// its per-ISA source files as sj::<isa>::<family>.
#pragma once
#include "half_table.h"
#include "int8_table.h"
#include "isa_list.h"
#include "kernel_table.h"
#include "q8_0_table.h"
#include "sparse_table.h"

namespace sj {

struct IsaKernels {
  int isa;           // sj_isa value
  const char* name;  // as sj_isa_name
  const KernelTable* dense;
  const SparseKernelTable* sparse;
  const Int8KernelTable* int8;
  const Q8Table* q8_0;
  const HalfTable* half;  // BF16 / F16 weights
};

// The row of the active ISA: the detected one, or the one sj_isa_select chose.
const IsaKernels& kernels();

}  // namespace sj
