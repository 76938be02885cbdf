// Operating-system calls Java's NIO lacks: file-system and memory.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Swaps the two paths in one step (Linux renameat2 with RENAME_EXCHANGE): both must exist. Returns 0, or the errno
// (ENOSYS, EINVAL on a file system without it, ...): the caller then falls back to two renames.
int sj_rename_exchange(const char* a, const char* b);

// Backs [p, p+bytes) (anonymous memory, both ends on 2 MiB boundaries) with transparent huge pages now: madvise
// MADV_HUGEPAGE, then MADV_COLLAPSE (Linux 6.1+), which replaces the 4 KiB pages already there, keeping their
// contents. Returns 0, or the errno (EINVAL on an older kernel or THP "never", EAGAIN, ENOSYS off Linux); the
// memory stays valid either way, only its page size differs.
int sj_huge_pages(void* p, long bytes);

// bytes of zeroed memory from the C allocator (large blocks are fresh anonymous pages, zero until touched), or null;
// for tensors past the JVM's direct-memory limit. Release with sj_free.
void* sj_alloc_zeroed(long bytes);
void sj_free(void* p);

#ifdef __cplusplus
}
#endif
