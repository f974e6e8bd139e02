/*
 * nginx.c: the TLS sites of an nginx configuration, from `nginx -T`.
 *
 * nginx -T prints every file it read, each after a line "# configuration
 * file PATH:" and followed by one newline, after checking the whole
 * configuration: so a dump exists only for a configuration nginx accepts,
 * and it holds exactly the files nginx would load, includes and all.  This
 * file splits the dump into those files, parses nginx's syntax (words,
 * quotes, comments, ";" and blocks; line numbers kept), splices each
 * include's files in place (matched against the dumped paths with
 * fnmatch(), relative patterns against the main file's directory, as nginx
 * resolves them), and walks http { server { } }.
 *
 * A server is a TLS site when a listen has the ssl parameter (or it says
 * "ssl on"); its certificate and key are its own ssl_certificate and
 * ssl_certificate_key or those it inherits from http.  A certificate named
 * with a variable ($ssl_server_name) cannot be adopted and is reported.
 * The spans kept for the rewrite: the first certificate and key (replaced by
 * an include of holdfast's NAME.conf), any other ssl_certificate or key and
 * the server's own ssl_stapling / ssl_stapling_file (the include sets
 * those).  A server that inherits its certificate gets the include right
 * after its "{", and http's directives stay for the servers that still use
 * them.  Pure: no I/O.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/internal.h"

#define NGINX_DEPTH_MAX 32
#define NGINX_ARGS_MAX  64
#define NGINX_HEADER    "# configuration file "

struct ngx_node {
	char *args[NGINX_ARGS_MAX];
	size_t argc;
	size_t file, off, end; /* end: after ';' or '}' */
	size_t body;           /* a block: just after '{' */
	int line, block;
	struct ngx_node *kids;
	size_t kid_count, kid_cap;
};

struct ngx_lexer {
	const char *s;
	size_t len, pos;
	size_t file;
	int line;
};

static void node_clear(struct ngx_node *n)
{
	size_t i;

	for (i = 0; i < n->argc; i++)
		free(n->args[i]);
	for (i = 0; i < n->kid_count; i++)
		node_clear(&n->kids[i]);
	free(n->kids);
	memset(n, 0, sizeof(*n));
}

static struct ngx_node *node_add(struct ngx_node *parent)
{
	if (parent->kid_count == parent->kid_cap) {
		size_t cap = parent->kid_cap ? parent->kid_cap * 2 : 8;
		struct ngx_node *k = realloc(parent->kids, cap * sizeof(*k));
		if (k == NULL)
			return NULL;
		parent->kids = k;
		parent->kid_cap = cap;
	}
	memset(&parent->kids[parent->kid_count], 0, sizeof(struct ngx_node));
	return &parent->kids[parent->kid_count++];
}

/* Skip white space and comments. */
static void lex_space(struct ngx_lexer *lx)
{
	while (lx->pos < lx->len) {
		char ch = lx->s[lx->pos];
		if (ch == '\n') {
			lx->line++;
			lx->pos++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r') {
			lx->pos++;
		} else if (ch == '#') {
			while (lx->pos < lx->len && lx->s[lx->pos] != '\n')
				lx->pos++;
		} else {
			return;
		}
	}
}

/* One word (quotes removed, escapes kept as nginx keeps them) as a new
 * string, or NULL at a special character or the end (or out of memory). */
static char *lex_word(struct ngx_lexer *lx)
{
	size_t start = lx->pos, n = 0;
	char quote = 0, *w;

	if (lx->pos >= lx->len || strchr(";{}", lx->s[lx->pos]) != NULL)
		return NULL;
	if (lx->s[lx->pos] == '"' || lx->s[lx->pos] == '\'') {
		quote = lx->s[lx->pos++];
		start = lx->pos;
	}
	w = malloc(lx->len - start + 1);
	if (w == NULL)
		return NULL;
	while (lx->pos < lx->len) {
		char ch = lx->s[lx->pos];
		if (quote ? ch == quote
		          : (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == ';' ||
		             ch == '{' || ch == '}'))
			break;
		if (ch == '\\' && lx->pos + 1 < lx->len) {
			w[n++] = ch;
			ch = lx->s[++lx->pos];
		}
		if (ch == '\n')
			lx->line++;
		w[n++] = ch;
		lx->pos++;
	}
	if (quote && lx->pos < lx->len)
		lx->pos++;
	w[n] = '\0';
	return w;
}

struct ngx_parse {
	const struct init_config *c;
	const char *main_dir;
	char *err;
	size_t errlen;
};

static int parse_block(struct ngx_parse *p, struct ngx_lexer *lx, struct ngx_node *parent,
                       int depth, int nested);

/* Splice the dumped files that pattern names into parent. */
static int include_files(struct ngx_parse *p, const char *pattern, struct ngx_node *parent,
                         int depth)
{
	char full[4096];
	size_t i;
	int n;

	if (pattern[0] == '/')
		n = snprintf(full, sizeof(full), "%s", pattern);
	else
		n = snprintf(full, sizeof(full), "%s/%s", p->main_dir, pattern);
	if (n < 0 || (size_t)n >= sizeof(full))
		return init_fail(p->err, p->errlen, "include %s: path too long", pattern);
	for (i = 0; i < p->c->file_count; i++) {
		const struct init_file *f = &p->c->files[i];
		struct ngx_lexer lx = {f->text, f->len, 0, i, 1};
		if (fnmatch(full, f->path, FNM_PATHNAME) != 0)
			continue;
		if (parse_block(p, &lx, parent, depth + 1, 0) != 0)
			return -1;
	}
	return 0;
}

/* Directives until the end of the text (nested 0) or a '}' (nested 1). */
static int parse_block(struct ngx_parse *p, struct ngx_lexer *lx, struct ngx_node *parent,
                       int depth, int nested)
{
	const char *path = p->c->files[lx->file].path;

	if (depth > NGINX_DEPTH_MAX)
		return init_fail(p->err, p->errlen, "%s:%d: blocks or includes nested too deep",
		                 path, lx->line);
	for (;;) {
		struct ngx_node *n;
		char *w;
		lex_space(lx);
		if (lx->pos >= lx->len) {
			if (nested)
				return init_fail(p->err, p->errlen, "%s: missing '}'", path);
			return 0;
		}
		if (lx->s[lx->pos] == '}') {
			if (!nested)
				return init_fail(p->err, p->errlen, "%s:%d: unexpected '}'", path,
				                 lx->line);
			lx->pos++;
			return 0;
		}
		if ((n = node_add(parent)) == NULL)
			return init_fail(p->err, p->errlen, "out of memory");
		n->file = lx->file;
		n->off = lx->pos;
		n->line = lx->line;
		while ((w = lex_word(lx)) != NULL) {
			if (n->argc == NGINX_ARGS_MAX) {
				free(w);
				return init_fail(p->err, p->errlen, "%s:%d: too many words", path,
				                 n->line);
			}
			n->args[n->argc++] = w;
			lex_space(lx);
		}
		if (lx->pos >= lx->len || n->argc == 0 || lx->s[lx->pos] == '}')
			return init_fail(p->err, p->errlen, "%s:%d: a directive without ';'", path,
			                 n->line);
		if (lx->s[lx->pos] == ';') {
			lx->pos++;
			n->end = lx->pos;
			if (strcmp(n->args[0], "include") == 0 && n->argc == 2) {
				/* The include's directives take its place. */
				char *pattern = n->args[1];
				n->args[1] = NULL;
				n->argc = 1;
				node_clear(n);
				parent->kid_count--;
				if (include_files(p, pattern, parent, depth) != 0) {
					free(pattern);
					return -1;
				}
				free(pattern);
			}
			continue;
		}
		/* '{' */
		lx->pos++;
		n->block = 1;
		n->body = lx->pos;
		{
			/* parent->kids may move while the block is parsed */
			size_t idx = (size_t)(n - parent->kids);
			struct ngx_node tmp = *n;
			memset(n, 0, sizeof(*n));
			if (parse_block(p, lx, &tmp, depth + 1, 1) != 0) {
				node_clear(&tmp);
				return -1;
			}
			tmp.end = lx->pos;
			parent->kids[idx] = tmp;
		}
	}
}

/* ------------------------------------------------------------- the walk */

static int has_arg(const struct ngx_node *n, const char *word)
{
	size_t i;

	for (i = 1; i < n->argc; i++)
		if (strcmp(n->args[i], word) == 0)
			return 1;
	return 0;
}

static int is(const struct ngx_node *n, const char *name)
{
	return !n->block && n->argc >= 1 && strcmp(n->args[0], name) == 0;
}

/* The span of a whole directive. */
static struct init_span span_of(const struct ngx_node *n, enum init_span_role role)
{
	struct init_span s = {n->file, n->off, n->end - n->off, n->line, role};
	return s;
}

struct ngx_inherited {
	const struct ngx_node *cert, *key;
};

/* One server block: a TLS site, a plain one, or reported as skipped. */
static int walk_server(struct init_config *c, const struct ngx_node *srv,
                       const struct ngx_inherited *http, const char *base, char *err, size_t errlen)
{
	const struct ngx_node *cert = NULL, *key = NULL, *root = NULL;
	const char *names[INIT_NAMES_MAX];
	struct init_site *site;
	size_t i, j, name_count = 0;
	int tls = 0;

	for (i = 0; i < srv->kid_count; i++) {
		const struct ngx_node *k = &srv->kids[i];
		if (is(k, "listen") && has_arg(k, "ssl"))
			tls = 1;
		if (is(k, "ssl") && k->argc == 2 && strcmp(k->args[1], "on") == 0)
			tls = 1;
		if (is(k, "ssl_certificate") && cert == NULL)
			cert = k;
		if (is(k, "ssl_certificate_key") && key == NULL)
			key = k;
		if (is(k, "root") && k->argc == 2)
			root = k;
		if (is(k, "server_name"))
			for (j = 1; j < k->argc && name_count < INIT_NAMES_MAX; j++)
				names[name_count++] = k->args[j];
	}
	if (!tls)
		return init_plain_add(c, names, name_count, root ? root->args[1] : NULL, srv->file,
		                      srv->line, err, errlen);
	if (cert == NULL)
		cert = http->cert;
	if (key == NULL)
		key = http->key;
	if (cert == NULL || cert->argc != 2 || key == NULL || key->argc != 2) {
		init_skip(c, "%s:%d: a TLS server without one ssl_certificate and key",
		          c->files[srv->file].path, srv->line);
		return 0;
	}
	if (strchr(cert->args[1], '$') != NULL || strchr(key->args[1], '$') != NULL ||
	    strncmp(cert->args[1], "data:", 5) == 0 || strncmp(key->args[1], "engine:", 7) == 0) {
		init_skip(c, "%s:%d: ssl_certificate %s is chosen at run time or not a file",
		          c->files[cert->file].path, cert->line, cert->args[1]);
		return 0;
	}
	if ((site = init_site_add(c, err, errlen)) == NULL)
		return -1;
	site->file = srv->file;
	site->line = srv->line;
	if (init_set_path(&site->cert, base, cert->args[1]) != 0 ||
	    init_set_path(&site->key, base, key->args[1]) != 0 ||
	    (root != NULL && init_set_path(&site->docroot, base, root->args[1]) != 0))
		return init_fail(err, errlen, "out of memory");
	for (j = 0; j < name_count; j++)
		if (init_site_name_add(site, names[j]) != 0)
			return init_fail(err, errlen, "out of memory");
	if (cert == http->cert) {
		struct init_span s = {srv->file, srv->body, 0, srv->line, INIT_SPAN_INSERT};
		init_span_add(site, s);
	}
	for (i = 0; i < srv->kid_count; i++) {
		const struct ngx_node *k = &srv->kids[i];
		if (k == cert)
			init_span_add(site, span_of(k, INIT_SPAN_CERT));
		else if (k == key)
			init_span_add(site, span_of(k, INIT_SPAN_KEY));
		else if (is(k, "ssl_certificate") || is(k, "ssl_certificate_key") ||
		         is(k, "ssl_stapling") || is(k, "ssl_stapling_file"))
			init_span_add(site, span_of(k, INIT_SPAN_DROP));
	}
	return 0;
}

static int walk_http(struct init_config *c, const struct ngx_node *http, const char *base,
                     char *err, size_t errlen)
{
	struct ngx_inherited inh = {NULL, NULL};
	size_t i;

	for (i = 0; i < http->kid_count; i++) {
		if (is(&http->kids[i], "ssl_certificate") && inh.cert == NULL)
			inh.cert = &http->kids[i];
		if (is(&http->kids[i], "ssl_certificate_key") && inh.key == NULL)
			inh.key = &http->kids[i];
	}
	for (i = 0; i < http->kid_count; i++) {
		const struct ngx_node *k = &http->kids[i];
		if (k->block && k->argc == 1 && strcmp(k->args[0], "server") == 0 &&
		    walk_server(c, k, &inh, base, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* Split the dump into c->files. */
static int dump_split(struct init_config *c, const char *dump, size_t len, char *err, size_t errlen)
{
	size_t pos = 0, hl = strlen(NGINX_HEADER);

	while (pos < len) {
		const char *nl = memchr(dump + pos, '\n', len - pos);
		size_t line_end = nl ? (size_t)(nl - dump) : len;
		if (line_end - pos > hl + 1 && memcmp(dump + pos, NGINX_HEADER, hl) == 0 &&
		    dump[line_end - 1] == ':') {
			struct init_file *f;
			size_t start = line_end + 1, end = start;
			/* The file ends where the next header starts, minus the
			 * newline nginx adds. */
			while (end < len) {
				if ((end == start || dump[end - 1] == '\n') && len - end > hl &&
				    memcmp(dump + end, NGINX_HEADER, hl) == 0)
					break;
				end++;
			}
			if (start > len)
				start = end = len;
			if (c->file_count == INIT_FILES_MAX)
				return init_fail(err, errlen, "more than %d files", INIT_FILES_MAX);
			f = &c->files[c->file_count];
			f->path = strndup(dump + pos + hl, line_end - 1 - pos - hl);
			f->len =
			    end > start && dump[end - 1] == '\n' ? end - start - 1 : end - start;
			f->text = strndup(dump + start, f->len);
			if (f->path == NULL || f->text == NULL)
				return init_fail(err, errlen, "out of memory");
			c->file_count++;
			pos = end;
			continue;
		}
		pos = line_end + 1;
	}
	if (c->file_count == 0)
		return init_fail(err, errlen, "no \"%s\" line: not the output of nginx -T",
		                 NGINX_HEADER "PATH:");
	return 0;
}

int init_nginx_parse(struct init_config *c, const char *dump, size_t len, char *err, size_t errlen)
{
	struct ngx_node top;
	struct ngx_lexer lx;
	struct ngx_parse p;
	char dir[4096];
	const char *slash;
	size_t i;
	int rc = -1;

	memset(&top, 0, sizeof(top));
	if (dump_split(c, dump, len, err, errlen) != 0)
		return -1;
	slash = strrchr(c->files[0].path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - c->files[0].path) : 1,
	         slash ? c->files[0].path : ".");
	p.c = c;
	p.main_dir = dir;
	p.err = err;
	p.errlen = errlen;
	lx.s = c->files[0].text;
	lx.len = c->files[0].len;
	lx.pos = 0;
	lx.file = 0;
	lx.line = 1;
	if (parse_block(&p, &lx, &top, 0, 0) != 0)
		goto out;
	for (i = 0; i < top.kid_count; i++) {
		const struct ngx_node *k = &top.kids[i];
		if (k->block && k->argc == 1 && strcmp(k->args[0], "http") == 0 &&
		    walk_http(c, k, dir, err, errlen) != 0)
			goto out;
	}
	rc = init_docroots_match(c);
out:
	node_clear(&top);
	return rc;
}
