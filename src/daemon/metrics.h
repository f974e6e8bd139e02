/*
 * metrics: the Prometheus text exposition on metrics_listen, served by
 * libmicrohttpd (no hand-written HTTP parser).  The daemon's loop renders a
 * complete snapshot and publishes it; the HTTP thread only ever copies the
 * latest snapshot under a mutex, so the daemon's state needs no locking and
 * a scrape never sees a half-written page.  Only GET /metrics is served.
 */
#ifndef HOLDFAST_METRICS_H
#define HOLDFAST_METRICS_H

#include <stddef.h>

struct metrics_server;

/* Listen on "HOST:PORT"; NULL (logged) when the address cannot be bound. */
struct metrics_server *metrics_start(const char *listen);

/* Replace the page with text (len bytes, copied). */
void metrics_publish(struct metrics_server *m, const char *text, size_t len);

void metrics_stop(struct metrics_server *m);

/* Append a Prometheus label value to dst (escaping \ " and newlines). */
void metrics_label_escape(char *dst, size_t dstlen, const char *value);

#endif
