/*
 * fs: small file-system helpers shared by the store and the deploy targets.
 */
#ifndef HOLDFAST_UTIL_FS_H
#define HOLDFAST_UTIL_FS_H

#include <sys/types.h>

/* mkdir -p with mode.  0 or -1 with errno. */
int mkdir_p(const char *path, mode_t mode);

#endif
