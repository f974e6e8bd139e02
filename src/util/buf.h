/*
 * buf: a growable byte buffer that refuses to grow past a limit set at
 * creation (curl's dynbuf idea).  Every byte read from the network lands in
 * one of these, so an oversized or endless body is cut off at a known size
 * instead of exhausting memory.  The content is always NUL-terminated (the
 * terminator is not counted in len) so text bodies can be parsed in place.
 */
#ifndef HOLDFAST_BUF_H
#define HOLDFAST_BUF_H

#include <stddef.h>

struct buf {
	unsigned char *data;
	size_t len;
	size_t cap;
	size_t limit; /* maximum len */
};

/* Set up an empty buffer that will hold at most limit bytes. */
void buf_init(struct buf *b, size_t limit);

/* Append; returns 0, or -1 when the limit would be exceeded or memory ran out
 * (the buffer is unchanged then). */
int buf_append(struct buf *b, const void *data, size_t len);

/* Forget the content, keep the allocation. */
void buf_reset(struct buf *b);

/* Free the content; the struct may be reused after buf_init(). */
void buf_free(struct buf *b);

#endif
