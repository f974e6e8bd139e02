/*
 * plan.c: what init writes, decided without I/O: the built-in table of
 * public ACME directories, each certificate's names and section, the
 * holdfast.conf text, the edits that point a site at holdfast's deploy
 * files, and those edits applied to a file's bytes.  The configuration text
 * is made to load with conf_load() (tests/unit/test_init.c loads it); what
 * init cannot know (an EAB key, a dns-01 server) is written as a comment or
 * a marked value and counted in *todo, so the command can say so.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/internal.h"
#include "util/names.h"

/*
 * Public ACME directories (RFC 8555 section 7.1.1), with the CAA issuer
 * domain names their directories publish in meta.caaIdentities and whether
 * a newAccount needs external account binding (meta.externalAccountRequired).
 * Checked against each CA's documentation as known in 2025; this machine
 * cannot reach them, so a directory is not fetched here: holdfast probe does
 * that on the operator's machine.
 *
 * Buypass (api.buypass.com/acme/directory, CAA buypass.com): its free ACME
 * service, Buypass Go SSL, was reported in 2025 to end issuance (October
 * 2025).  UNVERIFIED from here; it stays in the table so that --ca buypass
 * writes a section, with a warning and a note in the file, and holdfast
 * probe answers whether it still issues.
 */
static const struct init_ca init_cas[] = {
    {"letsencrypt", "https://acme-v02.api.letsencrypt.org/directory", "letsencrypt.org", 0, NULL},
    {"letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory",
     "letsencrypt.org", 0, "staging: its certificates are not trusted by browsers"},
    {"zerossl", "https://acme.zerossl.com/v2/DV90", "sectigo.com", 1,
     "EAB credentials from the ZeroSSL dashboard (Developer section)"},
    {"google", "https://dv.acme-v02.api.pki.goog/directory", "pki.goog", 1,
     "EAB credentials from: gcloud publicca external-account-keys create"},
    {"buypass", "https://api.buypass.com/acme/directory", "buypass.com", 0,
     "UNVERIFIED: Buypass Go SSL was reported to end in 2025; run holdfast probe"},
};

#define CA_COUNT (sizeof(init_cas) / sizeof(init_cas[0]))

const struct init_ca *init_ca_find(const char *name)
{
	size_t i;

	for (i = 0; i < CA_COUNT; i++)
		if (strcmp(init_cas[i].name, name) == 0)
			return &init_cas[i];
	return NULL;
}

const char *init_ca_names(void)
{
	return "letsencrypt letsencrypt-staging zerossl google buypass";
}

/* ---------------------------------------------------------------- names */

void init_names_free(char **names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

static int name_push(char ***out, size_t *count, const char *raw)
{
	char norm[320], why[200], **n;
	const char *wild = "";
	size_t i;

	if (*count >= INIT_NAMES_MAX || raw[0] == '~' || raw[0] == '\0')
		return 0;
	if (strncmp(raw, "*.", 2) == 0) {
		wild = "*.";
		raw += 2;
	}
	if (host_normalise(raw, norm, sizeof(norm)) != 0)
		return 0;
	if (wild[0] != '\0') {
		char w[300];
		snprintf(w, sizeof(w), "*.%.290s", norm);
		snprintf(norm, sizeof(norm), "%s", w);
	}
	if (host_check(norm, HOST_WILDCARD, why, sizeof(why)) != 0)
		return 0;
	for (i = 0; i < *count; i++)
		if (strcmp((*out)[i], norm) == 0)
			return 0;
	if ((n = realloc(*out, (*count + 1) * sizeof(*n))) == NULL)
		return -1;
	*out = n;
	if ((n[*count] = strdup(norm)) == NULL)
		return -1;
	(*count)++;
	return 0;
}

int init_names_merge(char *const *conf_names, size_t conf_count, char *const *sans,
                     size_t san_count, char ***out, size_t *count)
{
	size_t i;

	*out = NULL;
	*count = 0;
	for (i = 0; i < conf_count; i++) {
		const char *n = conf_names[i];
		char star[300];
		if (n[0] == '.') { /* nginx: ".x.test" is x.test and *.x.test */
			snprintf(star, sizeof(star), "*%s", n);
			if (name_push(out, count, n + 1) != 0 || name_push(out, count, star) != 0)
				goto fail;
			continue;
		}
		if (name_push(out, count, n) != 0)
			goto fail;
	}
	for (i = 0; i < san_count; i++)
		if (name_push(out, count, sans[i]) != 0)
			goto fail;
	return 0;
fail:
	init_names_free(*out, *count);
	*out = NULL;
	*count = 0;
	return -1;
}

int init_section_name(const char *first, char *const *taken, size_t n, char *dst, size_t len)
{
	char base[128];
	size_t i, k;
	int r;

	r = strncmp(first, "*.", 2) == 0 ? snprintf(base, sizeof(base), "wildcard.%s", first + 2)
	                                 : snprintf(base, sizeof(base), "%s", first);
	if (r < 0 || (size_t)r >= sizeof(base))
		return -1;
	for (k = 1; k < 10000; k++) {
		int clash = 0;
		r = k == 1 ? snprintf(dst, len, "%s", base) : snprintf(dst, len, "%s-%zu", base, k);
		if (r < 0 || (size_t)r >= len)
			return -1;
		for (i = 0; i < n && !clash; i++)
			clash = strcmp(taken[i], dst) == 0;
		if (!clash)
			return 0;
	}
	return -1;
}

/* --------------------------------------------------------- holdfast.conf */

struct text {
	char *s;
	size_t len, cap;
	int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if (t->s != NULL && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = (t->cap + (size_t)n + 1) * 2;
			char *s = realloc(t->s, cap);
			if (s == NULL) {
				t->failed = 1;
				return;
			}
			t->s = s;
			t->cap = cap;
		}
	}
}

static int has_wildcard(const struct init_cert *c)
{
	size_t i;

	for (i = 0; i < c->name_count; i++)
		if (strncmp(c->names[i], "*.", 2) == 0)
			return 1;
	return 0;
}

char *init_conf_format(const struct init_cert *certs, size_t n, const struct init_conf_options *o,
                       int *todo)
{
	struct text t = {NULL, 0, 0, 0};
	size_t i, j;
	int s;

	*todo = 0;
	put(&t, "# holdfast.conf written by holdfast init from %s.\n",
	    o->source ? o->source : "the web servers' configuration");
	put(&t, "# The certificates and keys in use were imported into the store: nothing is\n"
	        "# issued before it is due.  See holdfast(1).\n\n");
	if (o->store != NULL)
		put(&t, "store = %s\n", o->store);
	if (o->nginx_reload != NULL)
		put(&t, "nginx_reload = %s\n", o->nginx_reload);
	if (o->apache_reload != NULL)
		put(&t, "apache_reload = %s\n", o->apache_reload);
	if (o->ca_count == 0)
		put(&t, "# No --ca: no [ca] section, so holdfast staples and deploys these\n"
		        "# certificates but does not renew them.\n");
	for (i = 0; i < o->ca_count; i++) {
		const struct init_ca *ca = init_ca_find(o->cas[i]);
		if (ca == NULL)
			continue;
		put(&t, "\n[ca %s]\n", ca->name);
		if (ca->note != NULL)
			put(&t, "# %s\n", ca->note);
		put(&t, "directory = %s\ncaa_identities = %s\n", ca->directory, ca->caa_identities);
		if (ca->eab_required) {
			put(&t, "# External account binding is required: set both.\n"
			        "# eab_kid = KID\n# eab_hmac_key = BASE64URL-KEY\n");
			(*todo)++;
		}
	}
	for (i = 0; i < n; i++) {
		const struct init_cert *c = &certs[i];
		put(&t, "\n[certificate %s]\n# adopted: %s (%s)\n", c->section, c->cert, c->where);
		put(&t, "names =");
		for (j = 0; j < c->name_count; j++)
			put(&t, " %s", c->names[j]);
		put(&t, "\n");
		if (o->ca_count > 0) {
			put(&t, "cas =");
			for (j = 0; j < o->ca_count; j++)
				put(&t, " %s", o->cas[j]);
			put(&t, "\n");
		}
		if (c->key_type != NULL)
			put(&t, "key = %s\n", c->key_type);
		if (has_wildcard(c)) {
			/* conf refuses a wildcard over http-01 (RFC 8555 7.1.3) */
			put(&t, "challenge = dns-01\n"
			        "# EDIT: the zone's primary server for RFC 2136 updates (and\n"
			        "# tsig_key), or dns_hook instead.\n"
			        "dns_update = 127.0.0.1\n");
			(*todo)++;
		} else {
			put(&t, "challenge = http-01\n");
			if (c->docroot != NULL) {
				put(&t, "webroot = %s\n", c->docroot);
			} else {
				put(&t, "# EDIT: where the site serves "
				        "/.well-known/acme-challenge/ from\n"
				        "webroot = /var/www/html\n");
				if (o->ca_count > 0)
					(*todo)++;
			}
		}
		put(&t, "deploy =");
		for (s = INIT_NGINX; s <= INIT_HAPROXY; s++) {
			if (!(c->servers & (1u << s)))
				continue;
			if (s == INIT_HAPROXY)
				put(&t, " haproxy:%s",
				    o->haproxy_socket ? o->haproxy_socket
				                      : "/run/haproxy/admin.sock");
			else
				put(&t, " %s", init_server_name((enum init_server)s));
		}
		put(&t, "\n");
	}
	if (t.failed) {
		free(t.s);
		return NULL;
	}
	return t.s;
}

/* ---------------------------------------------------------------- edits */

void init_edits_free(struct init_edit *edits, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(edits[i].text);
		free(edits[i].old);
	}
	free(edits);
}

static int edit_add(struct init_edit **edits, size_t *count, const struct init_file *f, size_t file,
                    const struct init_span *sp, const char *text)
{
	struct init_edit *e;
	size_t i;

	for (i = 0; i < *count; i++)
		if ((*edits)[i].file == file && (*edits)[i].off == sp->off &&
		    (*edits)[i].len == sp->len)
			return 0;
	if (sp->off + sp->len > f->len)
		return -1;
	if ((e = realloc(*edits, (*count + 1) * sizeof(*e))) == NULL)
		return -1;
	*edits = e;
	e = &e[*count];
	e->file = file;
	e->off = sp->off;
	e->len = sp->len;
	e->line = sp->line;
	e->text = strdup(text);
	e->old = strndup(f->text + sp->off, sp->len);
	if (e->text == NULL || e->old == NULL) {
		free(e->text);
		free(e->old);
		return -1;
	}
	(*count)++;
	return 0;
}

/* A dropped directive: commented out when nothing follows it on its line
 * (the comment must not swallow another directive), else removed. */
static void drop_text(const struct init_file *f, const struct init_span *sp, char *dst, size_t len)
{
	size_t p = sp->off + sp->len, i, k = 0;
	int alone = 1;

	while (p < f->len && f->text[p] != '\n' && f->text[p] != '#')
		if (f->text[p] != ' ' && f->text[p] != '\t' && f->text[p++] != '\r')
			alone = 0;
		else
			p++;
	if (!alone || len < 20) {
		dst[0] = '\0';
		return;
	}
	k = (size_t)snprintf(dst, len, "# holdfast init: ");
	for (i = sp->off; i < sp->off + sp->len && k + 1 < len; i++)
		dst[k++] = f->text[i] == '\n' ? ' ' : f->text[i];
	dst[k] = '\0';
}

int init_site_edits(const struct init_config *c, const struct init_site *site, const char *section,
                    const char *deploy_dir, const char *haproxy_socket, struct init_edit **edits,
                    size_t *count)
{
	char text[8192];
	size_t i;
	int n;

	for (i = 0; i < site->span_count; i++) {
		const struct init_span *sp = &site->spans[i];
		const struct init_file *f = &c->files[sp->file];
		n = 0;
		switch (sp->role) {
		case INIT_SPAN_CERT:
			if (site->server == INIT_NGINX)
				n = snprintf(text, sizeof(text), "include %s/nginx/%s.conf;",
				             deploy_dir, section);
			else if (site->server == INIT_APACHE)
				n = snprintf(text, sizeof(text),
				             "SSLCertificateFile %s/apache/%s.pem", deploy_dir,
				             section);
			else
				n = snprintf(text, sizeof(text), "%s/haproxy/%s.pem", deploy_dir,
				             section);
			break;
		case INIT_SPAN_INSERT:
			n = snprintf(text, sizeof(text), "\n    include %s/nginx/%s.conf;",
			             deploy_dir, section);
			break;
		case INIT_SPAN_SOCKET:
			n = snprintf(text, sizeof(text), "%s    stats socket %s level admin\n",
			             c->haproxy_global ? "" : "global\n", haproxy_socket);
			break;
		case INIT_SPAN_KEY:
		case INIT_SPAN_DROP:
			drop_text(f, sp, text, sizeof(text));
			break;
		}
		if (n < 0 || (size_t)n >= sizeof(text) ||
		    edit_add(edits, count, f, sp->file, sp, text) != 0)
			return -1;
	}
	return 0;
}

static int edit_order(const void *a, const void *b)
{
	const struct init_edit *x = *(const struct init_edit *const *)a;
	const struct init_edit *y = *(const struct init_edit *const *)b;

	return x->off < y->off ? -1 : x->off > y->off;
}

char *init_edits_apply(const char *text, size_t len, const struct init_edit *edits, size_t count,
                       size_t file, size_t *outlen)
{
	const struct init_edit **mine = NULL;
	size_t n = 0, i, pos = 0, total = len, o = 0;
	char *out = NULL;

	if ((mine = calloc(count ? count : 1, sizeof(*mine))) == NULL)
		return NULL;
	for (i = 0; i < count; i++)
		if (edits[i].file == file) {
			mine[n++] = &edits[i];
			total += strlen(edits[i].text);
		}
	qsort(mine, n, sizeof(*mine), edit_order);
	for (i = 0; i < n; i++)
		if (mine[i]->off + mine[i]->len > len ||
		    (i > 0 && mine[i]->off < mine[i - 1]->off + mine[i - 1]->len))
			goto out;
	if ((out = malloc(total + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		size_t tl = strlen(mine[i]->text);
		memcpy(out + o, text + pos, mine[i]->off - pos);
		o += mine[i]->off - pos;
		memcpy(out + o, mine[i]->text, tl);
		o += tl;
		pos = mine[i]->off + mine[i]->len;
	}
	memcpy(out + o, text + pos, len - pos);
	o += len - pos;
	out[o] = '\0';
	*outlen = o;
out:
	free(mine);
	return out;
}
