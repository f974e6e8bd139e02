/*
 * common.c: the containers the parsers of src/init/ fill (init.h): the
 * configuration's files, its TLS sites with their names and spans, the
 * plain-HTTP sites left alone.  Pure: no I/O.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/internal.h"

const char *init_server_name(enum init_server s)
{
	switch (s) {
	case INIT_NGINX:
		return "nginx";
	case INIT_APACHE:
		return "apache";
	case INIT_HAPROXY:
		return "haproxy";
	}
	return "?";
}

struct init_config *init_config_new(enum init_server s)
{
	struct init_config *c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->server = s;
	return c;
}

static void names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void init_config_free(struct init_config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->file_count; i++) {
		free(c->files[i].path);
		free(c->files[i].text);
	}
	for (i = 0; i < c->site_count; i++) {
		names_free(c->sites[i].names, c->sites[i].name_count);
		free(c->sites[i].cert);
		free(c->sites[i].key);
		free(c->sites[i].docroot);
	}
	free(c->sites);
	for (i = 0; i < c->plain_count; i++) {
		names_free(c->plain[i].names, c->plain[i].name_count);
		free(c->plain[i].docroot);
	}
	free(c->plain);
	free(c->haproxy_socket);
	free(c->haproxy_pidfile);
	free(c);
}

int init_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void init_skip(struct init_config *c, const char *fmt, ...)
{
	va_list ap;

	if (c->skip_count++ == 0) {
		va_start(ap, fmt);
		vsnprintf(c->skipped, sizeof(c->skipped), fmt, ap);
		va_end(ap);
	}
}

struct init_site *init_site_add(struct init_config *c, char *err, size_t errlen)
{
	struct init_site *s;

	if (c->site_count == INIT_SITES_MAX) {
		init_fail(err, errlen, "more than %d TLS sites", INIT_SITES_MAX);
		return NULL;
	}
	s = realloc(c->sites, (c->site_count + 1) * sizeof(*s));
	if (s == NULL) {
		init_fail(err, errlen, "out of memory");
		return NULL;
	}
	c->sites = s;
	s = &c->sites[c->site_count++];
	memset(s, 0, sizeof(*s));
	s->server = c->server;
	return s;
}

static int names_add(char ***names, size_t *count, const char *name)
{
	char **n;

	if (*count >= INIT_NAMES_MAX)
		return 0;
	n = realloc(*names, (*count + 1) * sizeof(*n));
	if (n == NULL)
		return -1;
	*names = n;
	if ((n[*count] = strdup(name)) == NULL)
		return -1;
	(*count)++;
	return 0;
}

int init_site_name_add(struct init_site *s, const char *name)
{
	return names_add(&s->names, &s->name_count, name);
}

void init_span_add(struct init_site *s, struct init_span span)
{
	if (s->span_count < INIT_SPANS_MAX)
		s->spans[s->span_count++] = span;
}

int init_set_path(char **dst, const char *base, const char *value)
{
	size_t n;

	free(*dst);
	if (value[0] == '/' || base == NULL || base[0] == '\0') {
		*dst = strdup(value);
		return *dst ? 0 : -1;
	}
	n = strlen(base) + strlen(value) + 2;
	if ((*dst = malloc(n)) == NULL)
		return -1;
	snprintf(*dst, n, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", value);
	return 0;
}

int init_plain_add(struct init_config *c, const char *const *names, size_t count,
                   const char *docroot, size_t file, int line, char *err, size_t errlen)
{
	struct init_plain *p = realloc(c->plain, (c->plain_count + 1) * sizeof(*p));
	size_t i;

	if (p == NULL)
		return init_fail(err, errlen, "out of memory");
	c->plain = p;
	p = &c->plain[c->plain_count++];
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->line = line;
	for (i = 0; i < count; i++)
		if (names_add(&p->names, &p->name_count, names[i]) != 0)
			return init_fail(err, errlen, "out of memory");
	if (docroot != NULL && (p->docroot = strdup(docroot)) == NULL)
		return init_fail(err, errlen, "out of memory");
	return 0;
}

int init_docroots_match(struct init_config *c)
{
	size_t i, j, k, l;

	for (i = 0; i < c->site_count; i++) {
		struct init_site *s = &c->sites[i];
		for (j = 0; j < c->plain_count; j++) {
			const struct init_plain *p = &c->plain[j];
			int shared = 0;
			if (p->docroot == NULL)
				continue;
			for (k = 0; k < s->name_count && !shared; k++)
				for (l = 0; l < p->name_count && !shared; l++)
					shared = strcmp(s->names[k], p->names[l]) == 0;
			if (shared) {
				char *d = strdup(p->docroot);
				if (d != NULL) {
					free(s->docroot);
					s->docroot = d;
				}
				break;
			}
		}
	}
	return 0;
}

int init_file_add(struct init_config *c, const char *path, const char *text, size_t len,
                  size_t *index)
{
	struct init_file *f;

	if (c->file_count == INIT_FILES_MAX)
		return -1;
	f = &c->files[c->file_count];
	f->path = strdup(path);
	f->text = malloc(len + 1);
	if (f->path == NULL || f->text == NULL) {
		free(f->path);
		free(f->text);
		f->path = f->text = NULL;
		return -1;
	}
	memcpy(f->text, text, len);
	f->text[len] = '\0';
	f->len = len;
	*index = c->file_count++;
	return 0;
}
