/*
 * adopt: the I/O half of holdfast init (adopt.c; the pure half is init.h):
 * reading each server's configuration with its own tools, the certificates
 * and keys it uses, importing them into the store, and replacing
 * configuration files with a backup.
 */
#ifndef HOLDFAST_INIT_ADOPT_H
#define HOLDFAST_INIT_ADOPT_H

#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "init/init.h"

struct store;

/* The configuration as the server itself reads it: nginx -T [-c file];
 * apache2ctl -t -f file then file and its includes, or apache2ctl -S and the
 * files it names; haproxy -c -f file then file.  New (init_config_free), or
 * NULL with the reason in err (a configuration the server refuses
 * included). */
struct init_config *adopt_nginx_read(const char *file, char *err, size_t errlen);
struct init_config *adopt_apache_read(const char *file, char *err, size_t errlen);
struct init_config *adopt_haproxy_read(const char *file, char *err, size_t errlen);

/* A certificate file in use, with its key. */
struct adopt_pem {
	X509 *leaf;
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
	const char *key_type; /* conf_key_type_name() or NULL */
	char **sans;          /* DNS SANs */
	size_t san_count;
	char *chain_pem; /* leaf, then chain, as PEM */
	time_t not_before, not_after;
};

/* Load cert (leaf first, then its chain) and its key (key, or cert when
 * NULL), checking that they match.  New (adopt_pem_free), or NULL with the
 * reason in err. */
struct adopt_pem *adopt_pem_load(const char *cert, const char *key, char *err, size_t errlen);
void adopt_pem_free(struct adopt_pem *p);

/* Install p as the current set of name (renewal due as for an issued
 * certificate: acme/ari.h's renew_at_lifetime with margin).  A store that
 * already holds that certificate under name is left alone (*imported 0);
 * another certificate there is an error, never replaced.  0 or -1 (err). */
int adopt_import(struct store *st, const char *name, const struct adopt_pem *p, char *const *names,
                 size_t count, const char *key_type_name, long margin, int *imported, char *err,
                 size_t errlen);

/* spawn_run(). */
int adopt_run(char *const argv[], const char *what);

/* 0 when f's file still holds exactly f->text; else -1 (err). */
int adopt_file_check(const struct init_file *f, char *err, size_t errlen);

/* Copy f's original bytes to DIR/.NAME.holdfast-backup (hidden from include
 * globs; path into backup), then
 * replace FILE with text, both whole and with FILE's mode.  0 or -1 (err). */
int adopt_file_replace(const struct init_file *f, const char *text, size_t len, char *backup,
                       size_t backuplen, char *err, size_t errlen);

/* Put f's original bytes back.  0 or -1 (logged). */
int adopt_file_restore(const struct init_file *f);

/* SIGUSR2 to the master named by c's pidfile (master-worker).  0, or -1 with
 * the reason in err. */
int adopt_haproxy_reload(const struct init_config *c, char *err, size_t errlen);

#endif
