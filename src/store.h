/*
 * store: the only code that writes files others read (staples, certificates,
 * keys, web-server includes) and that reads files with a size bound.
 *
 * Guarantee: a file written with store_write_atomic() is, at every instant and
 * across a crash or power loss, either the complete old content or the
 * complete new content.  It is written to a temporary file in the same
 * directory, fsync'ed, renamed over the target, and the directory is fsync'ed
 * so the rename itself is durable.  A failure leaves the old file untouched
 * and removes the temporary file.
 */
#ifndef HOLDFAST_STORE_H
#define HOLDFAST_STORE_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data (len bytes) atomically, with permission bits mode.
 * Returns 0, or -1 after logging the file and the reason. */
int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer
 * (*out, caller frees; *len excludes the terminator).  Returns 0; -1 with
 * errno set (ENOENT when missing, EFBIG when larger than max).  Does not log:
 * a missing file is often expected, so the caller decides. */
int store_read_file(const char *path, size_t max, unsigned char **out, size_t *len);

#endif
