// File-system operations Java's NIO lacks.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

// Swaps the two paths in one step (Linux renameat2 with RENAME_EXCHANGE): both must exist. Returns 0, or the errno
// (ENOSYS, EINVAL on a file system without it, ...): the caller then falls back to two renames.
int sj_rename_exchange(const char* a, const char* b);

#ifdef __cplusplus
}
#endif
