#include "sparsej/fs_ops.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// The raw syscall, not glibc's renameat2 wrapper (glibc >= 2.28 only): the flag's value is fixed by the kernel ABI.
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

extern "C" int sj_rename_exchange(const char* a, const char* b) {
#ifdef SYS_renameat2
  return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : errno;
#else
  (void)a;
  (void)b;
  return ENOSYS;
#endif
}

// The value is fixed by the kernel ABI; older headers lack the name.
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

extern "C" int sj_huge_pages(void* p, long bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (madvise(p, (size_t)bytes, MADV_HUGEPAGE) != 0) return errno;
  return madvise(p, (size_t)bytes, MADV_COLLAPSE) == 0 ? 0 : errno;
#else
  (void)p;
  (void)bytes;
  return ENOSYS;
#endif
}

extern "C" void* sj_alloc_zeroed(long bytes) { return bytes > 0 ? std::calloc((size_t)bytes, 1) : nullptr; }

extern "C" void sj_free(void* p) { std::free(p); }
