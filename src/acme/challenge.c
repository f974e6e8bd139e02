

#include "acme/challenge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util/atomic.h"
#include "util/fs.h"
#include "util/httpd.h"
#include "util/log.h"
#include "util/spawn.h"

#define CHALLENGE_PREFIX      "/.well-known/acme-challenge/"
#define CHALLENGE_LISTEN_MAX  16
#define CHALLENGE_TOKEN_MAX   128
#define CHALLENGE_KEYAUTH_MAX 256

struct token_entry {
	char token[CHALLENGE_TOKEN_MAX + 1];
	char keyauth[CHALLENGE_KEYAUTH_MAX + 1];
	struct token_entry *next;
};

struct challenge_registry {
	pthread_mutex_t lock;
	struct token_entry *tokens;
	struct {
		char listen[128];
		struct http_server *server;
	} servers[CHALLENGE_LISTEN_MAX];
	size_t server_count;
	unsigned long served;
};

struct challenge_registry *challenge_registry_new(void)
{
	struct challenge_registry *reg = calloc(1, sizeof(*reg));

	if (reg != NULL && pthread_mutex_init(&reg->lock, NULL) != 0) {
		free(reg);
		return NULL;
	}
	return reg;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/plain");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result http01_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
	struct challenge_registry *reg = cls;
	char keyauth[CHALLENGE_KEYAUTH_MAX + 1] = "";
	const struct token_entry *t;
	const char *token;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 ||
	    strncmp(url, CHALLENGE_PREFIX, strlen(CHALLENGE_PREFIX)) != 0)
		return respond(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	token = url + strlen(CHALLENGE_PREFIX);
	pthread_mutex_lock(&reg->lock);
	for (t = reg->tokens; t != NULL; t = t->next) {
		if (strcmp(t->token, token) == 0) {
			memcpy(keyauth, t->keyauth, sizeof(keyauth));
			reg->served++;
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	if (keyauth[0] == '\0')
		return respond(conn, MHD_HTTP_NOT_FOUND, "no such token\n");
	return respond(conn, MHD_HTTP_OK, keyauth);
}

int challenge_listen(struct challenge_registry *reg, const char *listen)
{
	struct http_server *d;
	size_t i;

	for (i = 0; i < reg->server_count; i++) {
		if (strcmp(reg->servers[i].listen, listen) == 0)
			return 0;
	}
	if (reg->server_count == CHALLENGE_LISTEN_MAX) {
		log_error("http01_listen_failed", "listen=%s reason=\"bad address\"", listen);
		return -1;
	}
	d = http_server_start(listen, "http01", 64, http01_handler, reg, NULL);
	if (d == NULL)
		return -1;
	snprintf(reg->servers[reg->server_count].listen, sizeof(reg->servers[0].listen), "%s",
	         listen);
	reg->servers[reg->server_count++].server = d;
	return 0;
}

void challenge_registry_free(struct challenge_registry *reg)
{
	size_t i;

	if (reg == NULL)
		return;
	for (i = 0; i < reg->server_count; i++)
		http_server_stop(reg->servers[i].server);
	while (reg->tokens != NULL) {
		struct token_entry *t = reg->tokens;
		reg->tokens = t->next;
		free(t);
	}
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

unsigned long challenge_requests_served(const struct challenge_registry *reg)
{
	return reg ? reg->served : 0;
}

/* Run HOOK ACTION _acme-challenge.NAME VALUE (output to the log, nothing of
 * ours inherited, bounded in time); 0 when it exits 0. */
static int run_dns_hook(const char *hook, const char *action, const char *name, const char *value)
{
	char record[300];
	char *argv[5];
	int rc;

	if (snprintf(record, sizeof(record), "_acme-challenge.%s", name) >= (int)sizeof(record))
		return -1;
	argv[0] = (char *)hook;
	argv[1] = (char *)action;
	argv[2] = record;
	argv[3] = (char *)value;
	argv[4] = NULL;
	rc = spawn_run(argv, "dns-hook");
	if (rc != 0) {
		log_error("dns_hook_failed", "hook=%s action=%s record=%s status=%d", hook, action,
		          record, rc);
		return -1;
	}
	return 0;
}

/* The nsupdate commands that add or delete (add = 0) the dns-01 record
 * _acme-challenge.NAME TXT VALUE at server ("HOST PORT"), into dst.  The
 * zone is nsupdate's to find (it asks server for the SOA).  0, or -1 when it
 * does not fit. */
int challenge_nsupdate_script(const char *server, const char *name, const char *value, int add,
                              char *dst, size_t len)
{
	int n;

	n = snprintf(dst, len,
	             "server %s\n"
	             "update %s _acme-challenge.%s. %s TXT \"%s\"\n"
	             "send\n",
	             server, add ? "add" : "delete", name, add ? "60" : "", value);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Publish or remove the record by RFC 2136 update through Debian's nsupdate
 * (TSIG-signed with the BIND-format key file when one is given). */
static int run_dns_update(const struct conf_cert *cert, int add, const char *name,
                          const char *value)
{
	char script[1024], *argv[6];
	size_t k = 0;
	int rc;

	if (strpbrk(value, "\"\\\n ") != NULL || strpbrk(name, "\"\\\n ") != NULL ||
	    challenge_nsupdate_script(cert->dns_update, name, value, add, script, sizeof(script)) !=
	        0)
		return -1;
	argv[k++] = "nsupdate";
	argv[k++] = "-t";
	argv[k++] = "20";
	if (cert->tsig_key != NULL) {
		argv[k++] = "-k";
		argv[k++] = cert->tsig_key;
	}
	argv[k] = NULL;
	rc = spawn_run_input(argv, "dns-update", script, strlen(script));
	if (rc != 0) {
		log_error("dns_update_failed",
		          "server=\"%s\" action=%s record=_acme-challenge.%s status=%d",
		          cert->dns_update, add ? "add" : "delete", name, rc);
		return -1;
	}
	log_info("dns_update", "server=\"%s\" action=%s record=_acme-challenge.%s",
	         cert->dns_update, add ? "add" : "delete", name);
	return 0;
}

static int webroot_path(const struct conf_cert *cert, const char *token, char *dst, size_t len,
                        int make_dir)
{
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/.well-known/acme-challenge", cert->webroot);

	if (n < 0 || (size_t)n >= sizeof(dir) || (make_dir && mkdir_p(dir, 0755) != 0))
		return -1;
	n = snprintf(dst, len, "%s/%s", dir, token);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int challenge_publish(void *vctx, const char *type, const char *name, const char *token,
                             const char *keyauth, const char *dns_value)
{
	struct challenge_ctx *ctx = vctx;
	const struct conf_cert *cert = ctx->cert;
	struct token_entry *t;
	char path[PATH_MAX];

	if (strcmp(type, "dns-01") == 0)
		return cert->dns_update != NULL
		           ? run_dns_update(cert, 1, name, dns_value)
		           : run_dns_hook(cert->dns_hook, "add", name, dns_value);
	if (strlen(token) > CHALLENGE_TOKEN_MAX || strlen(keyauth) > CHALLENGE_KEYAUTH_MAX)
		return -1;
	if (cert->webroot != NULL) {
		if (webroot_path(cert, token, path, sizeof(path), 1) != 0)
			return -1;
		return store_write_atomic(path, keyauth, strlen(keyauth), 0644);
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	memcpy(t->token, token, strlen(token) + 1);
	memcpy(t->keyauth, keyauth, strlen(keyauth) + 1);
	pthread_mutex_lock(&ctx->reg->lock);
	t->next = ctx->reg->tokens;
	ctx->reg->tokens = t;
	pthread_mutex_unlock(&ctx->reg->lock);
	return 0;
}

static void challenge_withdraw(void *vctx, const char *type, const char *name, const char *token,
                               const char *dns_value)
{
	struct challenge_ctx *ctx = vctx;
	const struct conf_cert *cert = ctx->cert;
	struct token_entry **pp, *t;
	char path[PATH_MAX];

	if (strcmp(type, "dns-01") == 0) {
		if (cert->dns_update != NULL)
			(void)run_dns_update(cert, 0, name, dns_value);
		else
			(void)run_dns_hook(cert->dns_hook, "remove", name, dns_value);
		return;
	}
	if (cert->webroot != NULL) {
		if (webroot_path(cert, token, path, sizeof(path), 0) == 0)
			unlink(path);
		return;
	}
	pthread_mutex_lock(&ctx->reg->lock);
	for (pp = &ctx->reg->tokens; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->token, token) == 0) {
			t = *pp;
			*pp = t->next;
			free(t);
			break;
		}
	}
	pthread_mutex_unlock(&ctx->reg->lock);
}

void challenge_ops_for(struct challenge_ctx *ctx, struct challenge_registry *reg,
                       const struct conf_cert *cert, struct acme_challenge_ops *ops)
{
	ctx->reg = reg;
	ctx->cert = cert;
	ops->publish = challenge_publish;
	ops->withdraw = challenge_withdraw;
	ops->ctx = ctx;
	ops->type = cert->challenge == CHALLENGE_DNS_01 ? "dns-01" : "http-01";
}
