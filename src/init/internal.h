/*
 * init/internal.h: what the parsers of src/init/ share (common.c); included
 * only from this folder.
 */
#ifndef HOLDFAST_INIT_INTERNAL_H
#define HOLDFAST_INIT_INTERNAL_H

#include <stddef.h>

#include "init/init.h"

/* Format the reason into err; returns -1. */
int init_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Note a site that cannot be adopted (the first reason is kept). */
void init_skip(struct init_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new zeroed site at the end of c->sites, or NULL (err set). */
struct init_site *init_site_add(struct init_config *c, char *err, size_t errlen);

/* Append a copy of name to the site's names (past INIT_NAMES_MAX: ignored).
 * 0 or -1. */
int init_site_name_add(struct init_site *s, const char *name);

/* Append span (past INIT_SPANS_MAX: ignored). */
void init_span_add(struct init_site *s, struct init_span span);

/* *dst = value when absolute, else base/value (new).  0 or -1. */
int init_set_path(char **dst, const char *base, const char *value);

/* Record a plain-HTTP site.  0 or -1 (err set). */
int init_plain_add(struct init_config *c, const char *const *names, size_t count,
                   const char *docroot, size_t file, int line, char *err, size_t errlen);

/* Give each TLS site the document root of a plain-HTTP site that shares one
 * of its names (http-01 is answered on port 80).  Returns 0. */
int init_docroots_match(struct init_config *c);

/* Add a copy of path/text as c's next file; its index in *index.  0 or -1. */
int init_file_add(struct init_config *c, const char *path, const char *text, size_t len,
                  size_t *index);

#endif
