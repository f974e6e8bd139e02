/*
 * haproxy.c: the TLS certificates of a HAProxy configuration.
 *
 * HAProxy's configuration is line-based: a section keyword (global,
 * defaults, frontend, listen, backend, ...) at the start of a line, then its
 * keywords; '#' starts a comment; words are separated by blanks and may be
 * quoted.  A TLS site is each "crt FILE" of a "bind ... ssl ..." line in a
 * frontend or listen section (relative to global's crt-base); HAProxy picks
 * the certificate by SNI from the certificate's own names, so the site's
 * names are its SANs alone (the caller reads them).  A "crt-list" cannot be
 * adopted as one certificate and is reported.
 *
 * From global: an admin-level "stats socket" (holdfast's deploy pushes
 * certificates and staples over it), "master-worker" and "pidfile" (a
 * reload is SIGUSR2 to the master).  Without an admin socket, the rewrite
 * adds one after "global" (an INIT_SPAN_SOCKET span of length 0).  The span
 * of each site is the FILE word of its crt, which becomes holdfast's
 * haproxy/NAME.pem.  Pure: no I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/internal.h"

#define HAPROXY_WORDS_MAX 64

struct hap_word {
	size_t off, len; /* in the file, quotes included */
	char text[1024];
};

/* The words of line [p, end), up to a comment. */
static size_t words_split(const char *t, size_t p, size_t end, struct hap_word *w, size_t max)
{
	size_t n = 0;

	while (p < end && n < max) {
		char quote = 0;
		size_t k = 0;
		while (p < end && (t[p] == ' ' || t[p] == '\t' || t[p] == '\r'))
			p++;
		if (p >= end || t[p] == '#')
			break;
		w[n].off = p;
		if (t[p] == '"' || t[p] == '\'')
			quote = t[p++];
		while (p < end &&
		       (quote ? t[p] != quote
		              : !(t[p] == ' ' || t[p] == '\t' || t[p] == '\r' || t[p] == '#'))) {
			if (t[p] == '\\' && p + 1 < end)
				p++;
			if (k + 1 < sizeof(w[n].text))
				w[n].text[k++] = t[p];
			p++;
		}
		if (quote && p < end)
			p++;
		w[n].text[k] = '\0';
		w[n].len = p - w[n].off;
		n++;
	}
	return n;
}

static int is_section(const char *w)
{
	static const char *const sections[] = {
	    "global",  "defaults", "frontend", "backend", "listen", "resolvers",   "peers",
	    "mailers", "userlist", "program",  "cache",   "ring",   "http-errors",
	};
	size_t i;

	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		if (strcmp(w, sections[i]) == 0)
			return 1;
	return 0;
}

int init_haproxy_parse(struct init_config *c, const char *path, const char *text, size_t len,
                       char *err, size_t errlen)
{
	struct hap_word *w = NULL;
	char section[32] = "", crt_base[1024] = "", base[1024];
	const char *slash = strrchr(path, '/');
	size_t pos = 0, file, global_end = 0, i, n;
	int line = 1, have_global = 0, rc = -1;

	snprintf(base, sizeof(base), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	if (init_file_add(c, path, text, len, &file) != 0)
		return init_fail(err, errlen, "out of memory");
	text = c->files[file].text;
	if ((w = calloc(HAPROXY_WORDS_MAX, sizeof(*w))) == NULL)
		return init_fail(err, errlen, "out of memory");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		int here = line;
		n = words_split(text, pos, end, w, HAPROXY_WORDS_MAX);
		pos = end + 1;
		line++;
		if (n == 0)
			continue;
		if (is_section(w[0].text)) {
			snprintf(section, sizeof(section), "%.31s", w[0].text);
			if (strcmp(section, "global") == 0) {
				have_global = 1;
				global_end = end < len ? end + 1 : len;
			}
			continue;
		}
		if (strcmp(section, "global") == 0) {
			if (strcmp(w[0].text, "stats") == 0 && n >= 3 &&
			    strcmp(w[1].text, "socket") == 0 && w[2].text[0] == '/' &&
			    c->haproxy_socket == NULL) {
				for (i = 3; i + 1 < n; i++)
					if (strcmp(w[i].text, "level") == 0 &&
					    strcmp(w[i + 1].text, "admin") == 0 &&
					    (c->haproxy_socket = strdup(w[2].text)) == NULL)
						goto oom;
			} else if (strcmp(w[0].text, "master-worker") == 0) {
				c->haproxy_master = 1;
			} else if (strcmp(w[0].text, "pidfile") == 0 && n == 2) {
				free(c->haproxy_pidfile);
				if ((c->haproxy_pidfile = strdup(w[1].text)) == NULL)
					goto oom;
			} else if (strcmp(w[0].text, "crt-base") == 0 && n == 2) {
				snprintf(crt_base, sizeof(crt_base), "%s", w[1].text);
			}
			continue;
		}
		if ((strcmp(section, "frontend") != 0 && strcmp(section, "listen") != 0) ||
		    strcmp(w[0].text, "bind") != 0)
			continue;
		{
			int ssl = 0;
			for (i = 1; i < n; i++)
				ssl |= strcmp(w[i].text, "ssl") == 0;
			if (!ssl) {
				const char *none = NULL;
				if (init_plain_add(c, &none, 0, NULL, file, here, err, errlen) != 0)
					goto out;
				continue;
			}
		}
		for (i = 1; i < n; i++) {
			struct init_site *s;
			struct init_span sp;
			if (strcmp(w[i].text, "crt-list") == 0) {
				init_skip(c,
				          "%s:%d: crt-list %s: adopt its certificates one by one",
				          path, here, i + 1 < n ? w[i + 1].text : "");
				i++;
				continue;
			}
			if (strcmp(w[i].text, "crt") != 0 || i + 1 >= n)
				continue;
			i++;
			if ((s = init_site_add(c, err, errlen)) == NULL)
				goto out;
			s->file = file;
			s->line = here;
			if (init_set_path(&s->cert, crt_base[0] ? crt_base : base, w[i].text) != 0)
				goto oom;
			sp.file = file;
			sp.off = w[i].off;
			sp.len = w[i].len;
			sp.line = here;
			sp.role = INIT_SPAN_CERT;
			init_span_add(s, sp);
		}
	}
	if (c->haproxy_socket == NULL) {
		/* Where the rewrite adds an admin socket: after "global". */
		for (i = 0; i < c->site_count; i++) {
			struct init_span sp = {file, have_global ? global_end : 0, 0, 0,
			                       INIT_SPAN_SOCKET};
			init_span_add(&c->sites[i], sp);
		}
	}
	c->haproxy_global = have_global;
	rc = 0;
	goto out;
oom:
	init_fail(err, errlen, "out of memory");
out:
	free(w);
	return rc;
}
