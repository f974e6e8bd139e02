/*
 * apache.c: the TLS virtual hosts of an Apache httpd configuration.
 *
 * Apache's syntax is one directive per line (a trailing backslash
 * continues it), case-insensitive names, "<Section ...>" ... "</Section>",
 * '#' comments at the start of a line.  The parse starts at the root file
 * and follows Include and IncludeOptional (globs, relative to ServerRoot)
 * through the caller's loader, so this file does no I/O.  Sections other
 * than VirtualHost are read through (an <IfModule mod_ssl.c> is taken as
 * true: a configuration that apachectl configtest accepted is what init
 * reads).  A VirtualHost is a TLS site when it says SSLEngine on and names
 * an SSLCertificateFile; its names are ServerName (without scheme or port)
 * and every ServerAlias.  One that does not say SSLEngine on is a plain
 * site, left alone (its DocumentRoot answers http-01).
 *
 * Spans kept for the rewrite: SSLCertificateFile (becomes holdfast's
 * apache/NAME.pem, key and chain in one file), SSLCertificateKeyFile and
 * SSLCertificateChainFile (commented out: the one file holds both).  A
 * ${VAR} in an Include path cannot be resolved without Apache's
 * environment and is reported.  Pure: no I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "init/internal.h"

#define APACHE_ARGS_MAX 32
#define APACHE_WORD_MAX 4096

struct ap_line {
	size_t off, end; /* the directive, without leading blanks and the newline */
	int line;
	char *args[APACHE_ARGS_MAX];
	size_t argc;
};

struct ap_vhost {
	int open, ssl_on, ssl_off;
	size_t file;
	int line;
	char *names[INIT_NAMES_MAX];
	size_t name_count;
	char *cert, *key, *docroot;
	struct init_span cert_at, key_at, chain_at;
	int have_cert, have_key, have_chain;
};

struct ap_parse {
	struct init_config *c;
	const struct init_loader *ld;
	char server_root[4096];
	struct ap_vhost vh;
	char *err;
	size_t errlen;
};

static void line_clear(struct ap_line *l)
{
	size_t i;

	for (i = 0; i < l->argc; i++)
		free(l->args[i]);
	l->argc = 0;
}

static void vhost_clear(struct ap_vhost *v)
{
	size_t i;

	for (i = 0; i < v->name_count; i++)
		free(v->names[i]);
	free(v->cert);
	free(v->key);
	free(v->docroot);
	memset(v, 0, sizeof(*v));
}

/* Split [off, end) of text into words ("quoted" allowed; continuation
 * backslash-newlines are blanks). */
static int split_words(const char *text, size_t off, size_t end, struct ap_line *l)
{
	size_t p = off;

	while (p < end) {
		char w[APACHE_WORD_MAX], quote = 0;
		size_t n = 0;
		while (p < end && (isspace((unsigned char)text[p]) ||
		                   (text[p] == '\\' && p + 1 < end && text[p + 1] == '\n')))
			p++;
		if (p >= end)
			break;
		if (text[p] == '"' || text[p] == '\'')
			quote = text[p++];
		while (p < end && (quote ? text[p] != quote : !isspace((unsigned char)text[p]))) {
			if (text[p] == '\\' && p + 1 < end && text[p + 1] == '\n') {
				p += 2;
				continue;
			}
			if (n + 1 < sizeof(w))
				w[n++] = text[p];
			p++;
		}
		if (quote && p < end)
			p++;
		w[n] = '\0';
		if (l->argc == APACHE_ARGS_MAX)
			return -1;
		if ((l->args[l->argc++] = strdup(w)) == NULL)
			return -1;
	}
	return 0;
}

static int parse_file(struct ap_parse *p, const char *path, int depth);

/* Include or IncludeOptional pattern. */
static int include(struct ap_parse *p, const char *pattern, int optional, int depth,
                   const char *where, int line)
{
	char full[4096], **matches = NULL;
	size_t count = 0, i;
	int n, rc = 0;

	if (strstr(pattern, "${") != NULL) {
		init_skip(p->c, "%s:%d: Include %s: names an environment variable", where, line,
		          pattern);
		return 0;
	}
	n = pattern[0] == '/' ? snprintf(full, sizeof(full), "%s", pattern)
	                      : snprintf(full, sizeof(full), "%s/%s", p->server_root, pattern);
	if (n < 0 || (size_t)n >= sizeof(full))
		return init_fail(p->err, p->errlen, "%s:%d: Include path too long", where, line);
	if (strpbrk(full, "*?[") == NULL)
		return parse_file(p, full, depth + 1) < 0 && !optional ? -1 : 0;
	if (p->ld->glob(p->ld->ctx, full, &matches, &count) != 0)
		return init_fail(p->err, p->errlen, "%s:%d: Include %s: cannot list", where, line,
		                 full);
	if (count == 0 && !optional)
		rc = init_fail(p->err, p->errlen, "%s:%d: Include %s matches no file", where, line,
		               full);
	for (i = 0; i < count; i++) {
		if (rc == 0 && parse_file(p, matches[i], depth + 1) < 0 && !optional)
			rc = -1;
		free(matches[i]);
	}
	free(matches);
	return rc;
}

static struct init_span span_at(size_t file, const struct ap_line *l, enum init_span_role role)
{
	struct init_span s = {file, l->off, l->end - l->off, l->line, role};
	return s;
}

/* </VirtualHost>: a site, a plain site, or neither. */
static int vhost_close(struct ap_parse *p)
{
	struct ap_vhost *v = &p->vh;
	struct init_site *s;
	size_t i;

	if (!v->ssl_on || !v->have_cert) {
		if (!v->ssl_on &&
		    init_plain_add(p->c, (const char *const *)v->names, v->name_count, v->docroot,
		                   v->file, v->line, p->err, p->errlen) != 0)
			return -1;
		if (v->ssl_on)
			init_skip(p->c, "%s:%d: SSLEngine on without SSLCertificateFile",
			          p->c->files[v->file].path, v->line);
		return 0;
	}
	if ((s = init_site_add(p->c, p->err, p->errlen)) == NULL)
		return -1;
	s->file = v->file;
	s->line = v->line;
	s->cert = v->cert;
	s->key = v->key;
	s->docroot = v->docroot;
	v->cert = v->key = v->docroot = NULL;
	for (i = 0; i < v->name_count; i++)
		if (init_site_name_add(s, v->names[i]) != 0)
			return init_fail(p->err, p->errlen, "out of memory");
	init_span_add(s, v->cert_at);
	if (v->have_key)
		init_span_add(s, v->key_at);
	if (v->have_chain)
		init_span_add(s, v->chain_at);
	return 0;
}

/* ServerName's host: no scheme, no port. */
static void server_name_host(const char *v, char *dst, size_t len)
{
	const char *h = strstr(v, "://");
	size_t n;

	h = h ? h + 3 : v;
	n = strcspn(h, ":/");
	snprintf(dst, len, "%.*s", (int)n, h);
}

static int directive(struct ap_parse *p, size_t file, struct ap_line *l, int depth)
{
	struct ap_vhost *v = &p->vh;
	const char *d = l->args[0], *where = p->c->files[file].path;
	char host[512];
	size_t i;

	if (strcasecmp(d, "Include") == 0 || strcasecmp(d, "IncludeOptional") == 0) {
		if (l->argc != 2)
			return init_fail(p->err, p->errlen, "%s:%d: %s needs one path", where,
			                 l->line, d);
		return include(p, l->args[1], strcasecmp(d, "IncludeOptional") == 0, depth, where,
		               l->line);
	}
	if (strcasecmp(d, "ServerRoot") == 0 && l->argc == 2 && !v->open) {
		snprintf(p->server_root, sizeof(p->server_root), "%s", l->args[1]);
		return 0;
	}
	if (strncasecmp(d, "<VirtualHost", 12) == 0) {
		if (v->open)
			return init_fail(p->err, p->errlen, "%s:%d: VirtualHost inside VirtualHost",
			                 where, l->line);
		vhost_clear(v);
		v->open = 1;
		v->file = file;
		v->line = l->line;
		return 0;
	}
	if (strcasecmp(d, "</VirtualHost>") == 0) {
		int rc;
		if (!v->open)
			return init_fail(p->err, p->errlen,
			                 "%s:%d: </VirtualHost> without <VirtualHost>", where,
			                 l->line);
		rc = vhost_close(p);
		vhost_clear(v);
		return rc;
	}
	if (!v->open)
		return 0;
	if (strcasecmp(d, "ServerName") == 0 && l->argc == 2 && v->name_count < INIT_NAMES_MAX) {
		server_name_host(l->args[1], host, sizeof(host));
		/* ServerName first, whatever the order in the file */
		memmove(v->names + 1, v->names, v->name_count * sizeof(*v->names));
		if ((v->names[0] = strdup(host)) == NULL)
			return init_fail(p->err, p->errlen, "out of memory");
		v->name_count++;
	} else if (strcasecmp(d, "ServerAlias") == 0) {
		for (i = 1; i < l->argc && v->name_count < INIT_NAMES_MAX; i++)
			if ((v->names[v->name_count++] = strdup(l->args[i])) == NULL)
				return init_fail(p->err, p->errlen, "out of memory");
	} else if (strcasecmp(d, "SSLEngine") == 0 && l->argc == 2) {
		v->ssl_on = strcasecmp(l->args[1], "on") == 0;
	} else if (strcasecmp(d, "SSLCertificateFile") == 0 && l->argc == 2 && !v->have_cert) {
		if (init_set_path(&v->cert, p->server_root, l->args[1]) != 0)
			return init_fail(p->err, p->errlen, "out of memory");
		v->cert_at = span_at(file, l, INIT_SPAN_CERT);
		v->have_cert = 1;
	} else if (strcasecmp(d, "SSLCertificateKeyFile") == 0 && l->argc == 2 && !v->have_key) {
		if (init_set_path(&v->key, p->server_root, l->args[1]) != 0)
			return init_fail(p->err, p->errlen, "out of memory");
		v->key_at = span_at(file, l, INIT_SPAN_KEY);
		v->have_key = 1;
	} else if (strcasecmp(d, "SSLCertificateChainFile") == 0 && !v->have_chain) {
		v->chain_at = span_at(file, l, INIT_SPAN_DROP);
		v->have_chain = 1;
	} else if (strcasecmp(d, "DocumentRoot") == 0 && l->argc == 2) {
		if (init_set_path(&v->docroot, p->server_root, l->args[1]) != 0)
			return init_fail(p->err, p->errlen, "out of memory");
	}
	return 0;
}

/* 0 parsed (or already parsed), 1 missing, -1 error. */
static int parse_file(struct ap_parse *p, const char *path, int depth)
{
	char *text = NULL, why[256] = "";
	size_t len = 0, pos = 0, file, i;
	int line = 1, rc;

	if (depth > INIT_INCLUDE_MAX)
		return init_fail(p->err, p->errlen, "%s: Include nested more than %d deep", path,
		                 INIT_INCLUDE_MAX);
	for (i = 0; i < p->c->file_count; i++)
		if (strcmp(p->c->files[i].path, path) == 0)
			return depth == 0 ? 0
			                  : init_fail(p->err, p->errlen,
			                              "%s: included twice (a loop?)", path);
	rc = p->ld->load(p->ld->ctx, path, &text, &len, why, sizeof(why));
	if (rc != 0) {
		if (rc > 0)
			init_fail(p->err, p->errlen, "%s: no such file", path);
		else
			init_fail(p->err, p->errlen, "%s: %s", path, why);
		return rc > 0 ? 1 : -1;
	}
	rc = init_file_add(p->c, path, text, len, &file);
	free(text);
	if (rc != 0)
		return init_fail(p->err, p->errlen, "%s: more than %d files", path, INIT_FILES_MAX);
	text = p->c->files[file].text;
	while (pos < len) {
		struct ap_line l;
		size_t start = pos, end;
		int first_line = line;
		memset(&l, 0, sizeof(l));
		/* the logical line: up to a newline not preceded by a backslash */
		while (pos < len && text[pos] != '\n')
			if (text[pos++] == '\\' && pos < len && text[pos] == '\n') {
				pos++;
				line++;
			}
		end = pos;
		if (pos < len) {
			pos++;
			line++;
		}
		while (start < end && (text[start] == ' ' || text[start] == '\t'))
			start++;
		while (end > start &&
		       (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r'))
			end--;
		if (start == end || text[start] == '#')
			continue;
		l.off = start;
		l.end = end;
		l.line = first_line;
		if (split_words(text, start, end, &l) != 0) {
			line_clear(&l);
			return init_fail(p->err, p->errlen, "%s:%d: too many words", path,
			                 first_line);
		}
		if (l.argc > 0 && directive(p, file, &l, depth) != 0) {
			line_clear(&l);
			return -1;
		}
		line_clear(&l);
		text = p->c->files[file].text; /* files[] does not move, but be plain */
	}
	return 0;
}

int init_apache_parse(struct init_config *c, const char *root, const char *server_root,
                      const struct init_loader *ld, char *err, size_t errlen)
{
	struct ap_parse p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c = c;
	p.ld = ld;
	p.err = err;
	p.errlen = errlen;
	snprintf(p.server_root, sizeof(p.server_root), "%s", server_root ? server_root : "");
	rc = parse_file(&p, root, 0);
	if (rc == 0 && p.vh.open)
		rc = init_fail(err, errlen, "%s: <VirtualHost> without </VirtualHost>", root);
	vhost_clear(&p.vh);
	if (rc != 0)
		return -1;
	return init_docroots_match(c);
}
