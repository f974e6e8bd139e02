

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

#define BUF_MIN_ALLOC 256

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	size_t need, cap;
	unsigned char *p;

	if (len > b->limit || b->len > b->limit - len)
		return -1;
	need = b->len + len + 1; /* room for the terminator */
	if (need > b->cap) {
		cap = b->cap ? b->cap : BUF_MIN_ALLOC;
		while (cap < need)
			cap = cap > (size_t)-1 / 2 ? need : cap * 2;
		if (b->limit < (size_t)-1 && cap > b->limit + 1)
			cap = b->limit + 1;
		p = realloc(b->data, cap);
		if (p == NULL)
			return -1;
		b->data = p;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
