/*
 * init: adopting a running nginx, Apache or HAProxy (holdfast init).  The
 * web servers' own configuration says which sites speak TLS, under which
 * names and with which certificate and key files; init turns that into a
 * holdfast.conf, imports those very files into the store (so nothing is
 * issued before it is due and the first holdfast run serves what the server
 * served), and rewrites the server's directives to read holdfast's deploy
 * files instead.
 *
 * The folder keeps the pure parts apart from the I/O:
 * - nginx.c    the output of `nginx -T` (every file nginx read, verbatim)
 * - apache.c   Apache's configuration files, Include/IncludeOptional
 *              followed through a loader the caller gives (no I/O here)
 * - haproxy.c  a HAProxy configuration's `bind ... ssl crt FILE` lines and
 *              its admin-level stats socket
 * - plan.c     the holdfast.conf text and the edits of each site (pure), the
 *              built-in table of public ACME directories, and applying edits
 *              to a file's text
 * - adopt.c    the I/O: running the servers' dump and check commands,
 *              reading certificates, importing into the store, replacing
 *              files with a backup and restoring it when the check fails
 *
 * Every position is a byte span of a file's text as the parser saw it; an
 * edit is applied only to a file whose bytes are still exactly those, so a
 * file changed meanwhile is refused rather than mangled.
 */
#ifndef HOLDFAST_INIT_INIT_H
#define HOLDFAST_INIT_INIT_H

#include <stddef.h>
#include <time.h>

#define INIT_FILE_MAX    (4 * 1024 * 1024) /* one configuration file, or nginx -T's dump */
#define INIT_FILES_MAX   256               /* files of one server's configuration */
#define INIT_SITES_MAX   1000
#define INIT_NAMES_MAX   100 /* CONF_LIST_MAX: an ACME order's limit */
#define INIT_SPANS_MAX   8   /* directives of one site that change */
#define INIT_INCLUDE_MAX 16  /* nesting of Include */
#define INIT_ERROR_MAX   512

enum init_server { INIT_NGINX, INIT_APACHE, INIT_HAPROXY };

/* "nginx", "apache", "haproxy". */
const char *init_server_name(enum init_server s);

/* One configuration file as a parser read it; files[] owns copies. */
struct init_file {
	char *path;
	char *text;
	size_t len;
};

/* What a span becomes when the site is rewritten. */
enum init_span_role {
	INIT_SPAN_CERT,   /* nginx ssl_certificate, Apache SSLCertificateFile, HAProxy crt path */
	INIT_SPAN_KEY,    /* nginx ssl_certificate_key, Apache SSLCertificateKeyFile: dropped */
	INIT_SPAN_DROP,   /* ssl_stapling, ssl_stapling_file, SSLCertificateChainFile: dropped */
	INIT_SPAN_INSERT, /* an empty span where the include goes (inherited certificate) */
	INIT_SPAN_SOCKET, /* HAProxy: where a stats socket line goes (none is configured) */
};

/* Bytes [off, off + len) of file number file, starting on line line. */
struct init_span {
	size_t file;
	size_t off, len;
	int line;
	enum init_span_role role;
};

struct init_site {
	enum init_server server;
	size_t file; /* where the site is defined (server block, VirtualHost, bind) */
	int line;
	char **names; /* from the configuration (server_name, ServerName/Alias), as written */
	size_t name_count;
	char *cert;    /* certificate file in use (absolute) */
	char *key;     /* key file; NULL: in cert (Apache without SSLCertificateKeyFile, HAProxy) */
	char *docroot; /* the plain-HTTP twin's root with the same name, or NULL */
	struct init_span spans[INIT_SPANS_MAX];
	size_t span_count;
};

/* A site on plain HTTP: left alone, but its document root is where an
 * http-01 challenge for the same name is answered. */
struct init_plain {
	char **names;
	size_t name_count;
	char *docroot; /* or NULL */
	size_t file;
	int line;
};

struct init_config {
	enum init_server server;
	struct init_file files[INIT_FILES_MAX];
	size_t file_count;
	struct init_site *sites;
	size_t site_count;
	struct init_plain *plain; /* sites on plain HTTP, left alone */
	size_t plain_count;
	char *haproxy_socket;         /* an admin-level stats socket, or NULL */
	int haproxy_master;           /* the global section says master-worker */
	int haproxy_global;           /* there is a global section */
	char *haproxy_pidfile;        /* its pidfile, or NULL */
	char skipped[INIT_ERROR_MAX]; /* the first site that could not be adopted, and why */
	size_t skip_count;
};

/* An empty configuration of server s.  New (init_config_free), or NULL. */
struct init_config *init_config_new(enum init_server s);
void init_config_free(struct init_config *c);

/* Parse nginx -T's output (len bytes): each "# configuration file PATH:"
 * section is a file; includes are resolved against the dumped files (nginx
 * read every one of them).  0, or -1 with the reason in err (no file in the
 * dump, unbalanced braces, too many files or sites). */
int init_nginx_parse(struct init_config *c, const char *dump, size_t len, char *err, size_t errlen);

/* Loads path (at most INIT_FILE_MAX bytes) into a new buffer: 0, 1 when it
 * does not exist, -1 on an error (why set).  glob patterns are expanded by
 * the loader's glob (matches: new array of new strings, sorted; the parser
 * frees them). */
struct init_loader {
	int (*load)(void *ctx, const char *path, char **text, size_t *len, char *why, size_t wl);
	int (*glob)(void *ctx, const char *pattern, char ***matches, size_t *count);
	void *ctx;
};

/* Parse Apache's configuration from root (ServerRoot from the file, else
 * server_root, for relative Include paths), following Include and
 * IncludeOptional through ld.  0, or -1 with the reason in err. */
int init_apache_parse(struct init_config *c, const char *root, const char *server_root,
                      const struct init_loader *ld, char *err, size_t errlen);

/* Parse a HAProxy configuration (text, len bytes, named path).  0, or -1
 * with the reason in err. */
int init_haproxy_parse(struct init_config *c, const char *path, const char *text, size_t len,
                       char *err, size_t errlen);

/* ---------------------------------------------------------------- plan.c */

/* A public ACME directory of the built-in table. */
struct init_ca {
	const char *name;
	const char *directory;
	const char *caa_identities; /* space-separated */
	int eab_required;
	const char *note; /* why it is in the table, status; may be NULL */
};

/* The entry called name, or NULL. */
const struct init_ca *init_ca_find(const char *name);

/* The table's names, space-separated (for messages); static. */
const char *init_ca_names(void);

/* One certificate to adopt: every site (of every server read) that uses
 * the same certificate file becomes one [certificate]. */
struct init_cert {
	char section[128];   /* [certificate NAME] */
	const char *cert;    /* the certificate file, borrowed from a site */
	const char *where;   /* "FILE:LINE" of the first site, borrowed */
	const char *docroot; /* a document root for http-01, or NULL */
	char **names;        /* configuration's names, then SANs; owned (init_names_free) */
	size_t name_count;
	const char *key_type; /* conf_key_type_name(); NULL when holdfast has none like it */
	unsigned servers;     /* 1 << enum init_server, each server that uses it */
	time_t not_after;
};

/* The names of a site: the configuration's (nginx's ".x.test" as x.test and
 * *.x.test; regexes, "_", "localhost" and names that are not host names
 * dropped) then the SANs, deduplicated, in order, at most INIT_NAMES_MAX.
 * *out is a new array of new strings (init_names_free).  0 or -1. */
int init_names_merge(char *const *conf_names, size_t conf_count, char *const *sans,
                     size_t san_count, char ***out, size_t *count);
void init_names_free(char **names, size_t count);

/* A section name for names[0] that is unique among taken[0..n): "x.test",
 * "wildcard.x.test", "x.test-2".  0 or -1. */
int init_section_name(const char *first, char *const *taken, size_t n, char *dst, size_t len);

struct init_conf_options {
	const char *store;      /* NULL: the default store */
	const char *const *cas; /* --ca names, in order */
	size_t ca_count;
	const char *nginx_reload; /* the reload key's value, or NULL for the default */
	const char *apache_reload;
	const char *haproxy_socket; /* deploy = haproxy:SOCKET */
	const char *source;         /* what was read, for the header comment */
};

/* holdfast.conf for certs[0..n) as a new string (free()); *todo is set to
 * the number of things the operator must still fill in (EAB, dns-01).
 * NULL when out of memory. */
char *init_conf_format(const struct init_cert *certs, size_t n, const struct init_conf_options *o,
                       int *todo);

/* An edit of one file: replace [off, off + len) with text. */
struct init_edit {
	size_t file;
	size_t off, len;
	int line;
	char *text; /* new */
	char *old;  /* the original bytes, for printing; new */
};

/* The edits that make site (of c) read its deploy files (deploy_dir's
 * nginx/SECTION.conf, apache/SECTION.pem or haproxy/SECTION.pem) appended
 * to *edits (grown; *count updated; an edit already there is not added
 * twice).  0 or -1. */
int init_site_edits(const struct init_config *c, const struct init_site *site, const char *section,
                    const char *deploy_dir, const char *haproxy_socket, struct init_edit **edits,
                    size_t *count);
void init_edits_free(struct init_edit *edits, size_t count);

/* text (len bytes) with every edit of file number file applied, as a new
 * buffer (free(); *outlen its length).  Edits must not overlap (-1 then).
 * NULL on an error. */
char *init_edits_apply(const char *text, size_t len, const struct init_edit *edits, size_t count,
                       size_t file, size_t *outlen);

#endif
