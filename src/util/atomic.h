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
#include <stdio.h>
#include <sys/types.h>

/* Replace path with data (len bytes) atomically, with permission bits mode.
 * Returns 0, or -1 after logging the file and the reason. */
int store_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* store_write_atomic() without the directory's fsync, for files written into
 * a directory that nothing names yet (a new certificate version): the caller
 * fsyncs that directory once, after its last file and before anything points
 * at it.  The file's own content is durable on return, as above. */
int store_write_atomic_deferred(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole file of at most max bytes into a new NUL-terminated buffer
 * (*out, caller frees; *len excludes the terminator).  Returns 0; -1 with
 * errno set (ENOENT when missing, EFBIG when larger than max, EISDIR for a
 * directory, ENOTSUP for any other file that is not regular: a FIFO, which
 * is opened without blocking, a device, a socket).  Does not log:
 * a missing file is often expected, so the caller decides. */
int store_read_file(const char *path, size_t max, unsigned char **out, size_t *len);

/*
 * Streams: the same guarantee for a file written piece by piece, too large to
 * build in memory first (the daemon's state file: ~450 bytes per
 * certificate).  Write through store_stream_file(); nothing is visible at
 * path until store_stream_commit().
 */
struct store_stream;

/* A temporary file beside path with permission bits mode, or NULL (logged). */
struct store_stream *store_stream_open(const char *path, mode_t mode);

/* Where to write (buffered; errors are caught at commit). */
FILE *store_stream_file(struct store_stream *s);

/* Flush, fsync, rename over path, fsync the directory; frees s.  0, or -1
 * (logged; path keeps its old content). */
int store_stream_commit(struct store_stream *s);

/* Remove the temporary file and free s; NULL is a no-op. */
void store_stream_abort(struct store_stream *s);

/*
 * Batches: the same guarantee for many files at a fraction of the cost.
 * store_batch_add() writes each temporary file (no fsync yet);
 * store_batch_commit() makes all of them durable at once (one syncfs() per
 * filesystem, or an fsync per file for small batches), then renames each over
 * its target and fsyncs each directory once.  A file is never renamed before
 * its content is durable.
 */
struct store_batch;

struct store_batch *store_batch_new(void);

/* Stage path; returns the item's index, or -1 (logged, nothing staged). */
long store_batch_add(struct store_batch *b, const char *path, const void *data, size_t len,
                     mode_t mode);

/* Commit every staged item; returns the number that failed (logged). */
size_t store_batch_commit(struct store_batch *b);

/* 1 when item index was committed. */
int store_batch_ok(const struct store_batch *b, long index);

/* Free; staged items never committed are removed. */
void store_batch_free(struct store_batch *b);

#endif
