/*
 * holdfast init: adopt the TLS sites a running nginx, Apache or HAProxy
 * already serves (src/init/ does the reading, the planning and the I/O):
 *   1. read each server's configuration with its own tool, refusing one
 *      the server refuses (nothing is changed then);
 *   2. load every certificate and key in use, one [certificate] per
 *      certificate file, named by the configuration and the SANs;
 *   3. write holdfast.conf (-o FILE, else stdout), checked by conf_load();
 *   4. import the certificates and keys into the store, so the first run
 *      serves what the server serves and renews only when due;
 *   5. print the lines of the server's configuration to change; with
 *      --apply change them (backup, the server's check, restore on failure,
 *      then the reload).
 * Exit: 0 done (or every site adopted before); 1 done but something is
 * left to the operator (a site that could not be adopted, EAB keys, a
 * dns-01 server, an unverified CA, a HAProxy to reload by hand), or no TLS
 * site at all; 2 an import or the rewrite failed (the files
 * were restored); 3 usage, a configuration the server refuses, or a local
 * error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "deploy/deploy.h"
#include "init/adopt.h"
#include "init/init.h"
#include "store/store.h"
#include "util/atomic.h"
#include "util/log.h"
#include "util/result.h"

#define INIT_CAS_MAX 8

static void init_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: holdfast init [--nginx [FILE]] [--apache [FILE]] [--haproxy FILE]\n"
	    "                     [--store DIR] [--ca NAME]... [-o FILE] [--apply] [-v]\n"
	    "\n"
	    "Adopt the TLS sites the web servers already serve: read their configuration\n"
	    "(nginx -T, apache2ctl -S and the files it names, HAProxy's bind ... crt\n"
	    "lines; FILE: that configuration file instead), write a holdfast.conf with\n"
	    "one [certificate] per certificate in use, import those certificates and\n"
	    "keys into the store, and print the lines of the server's configuration to\n"
	    "change.  Sites on plain HTTP are left alone.\n"
	    "\n"
	    "  --nginx [FILE]    nginx (FILE: its nginx.conf, read with nginx -T -c FILE)\n"
	    "  --apache [FILE]   Apache (FILE: its main configuration file)\n"
	    "  --haproxy FILE    HAProxy's configuration file\n"
	    "  --store DIR       the store to import into (default /var/lib/holdfast)\n"
	    "  --ca NAME         a CA for renewals, in order (repeatable): %s\n"
	    "  -o FILE           write the configuration to FILE (default stdout)\n"
	    "  --apply           change the server's configuration (a backup is kept as\n"
	    "                    DIR/.NAME.holdfast-backup), check it with the server, restore\n"
	    "                    the backup when the check fails, else reload\n"
	    "  -v                log each step to stderr (twice: debug)\n"
	    "\n"
	    "Exit: 0 done, 1 done with something left to do by hand, 2 an import or the\n"
	    "change failed (files restored), 3 usage or a configuration the server\n"
	    "refuses (nothing changed).\n",
	    init_ca_names());
}

struct init_run {
	struct init_config *cfg[3]; /* by enum init_server */
	const char *deploy_dir;     /* where holdfast's deploy files go */
	size_t adopted_before;      /* sites that already read holdfast's files */
	const char *file[3];
	struct init_cert *certs;
	struct adopt_pem **pems;
	size_t cert_count;
	enum result result;
	FILE *notes; /* where the edits and the notes go */
};

/* The [certificate] of cert path, or NULL. */
static struct init_cert *cert_by_path(struct init_run *r, const char *path)
{
	size_t i;

	for (i = 0; i < r->cert_count; i++)
		if (strcmp(r->certs[i].cert, path) == 0)
			return &r->certs[i];
	return NULL;
}

/* 1 when path is inside dir. */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return dir[0] != '\0' && strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* One init_cert per certificate file of every server read. */
static int collect(struct init_run *r)
{
	char err[INIT_ERROR_MAX], where[600];
	int s;
	size_t i;

	for (s = INIT_NGINX; s <= INIT_HAPROXY; s++) {
		struct init_config *c = r->cfg[s];
		for (i = 0; c != NULL && i < c->site_count; i++) {
			const struct init_site *site = &c->sites[i];
			struct init_cert *ic = cert_by_path(r, site->cert), *grown;
			struct adopt_pem *pem;
			char **merged = NULL;
			size_t merged_count = 0;
			snprintf(where, sizeof(where), "%s:%d", c->files[site->file].path,
			         site->line);
			if (under(site->cert, r->deploy_dir)) {
				/* init ran before: the site reads holdfast's files */
				fprintf(r->notes, "# %s: already deployed by holdfast (%s)\n",
				        where, site->cert);
				r->adopted_before++;
				continue;
			}
			if (ic != NULL) {
				/* another site with the same certificate: add its names */
				if (init_names_merge(ic->names, ic->name_count, site->names,
				                     site->name_count, &merged, &merged_count) != 0)
					return -1;
				init_names_free(ic->names, ic->name_count);
				ic->names = merged;
				ic->name_count = merged_count;
				ic->servers |= 1u << s;
				if (ic->docroot == NULL)
					ic->docroot = site->docroot;
				continue;
			}
			pem = adopt_pem_load(site->cert, site->key, err, sizeof(err));
			if (pem == NULL) {
				fprintf(r->notes, "# skipped %s: %s\n", where, err);
				r->result = result_worse(r->result, RESULT_WARNING);
				continue;
			}
			if (init_names_merge(site->names, site->name_count, pem->sans,
			                     pem->san_count, &merged, &merged_count) != 0) {
				adopt_pem_free(pem);
				return -1;
			}
			if (merged_count == 0) {
				fprintf(r->notes,
				        "# skipped %s: no host name in the configuration or in "
				        "%s's SANs\n",
				        where, site->cert);
				r->result = result_worse(r->result, RESULT_WARNING);
				adopt_pem_free(pem);
				free(merged);
				continue;
			}
			grown = realloc(r->certs, (r->cert_count + 1) * sizeof(*grown));
			if (grown == NULL ||
			    (r->pems = realloc(r->pems, (r->cert_count + 1) * sizeof(*r->pems))) ==
			        NULL) {
				if (grown != NULL)
					r->certs = grown;
				adopt_pem_free(pem);
				init_names_free(merged, merged_count);
				return -1;
			}
			r->certs = grown;
			ic = &r->certs[r->cert_count];
			memset(ic, 0, sizeof(*ic));
			ic->cert = site->cert;
			ic->where = strdup(where);
			ic->docroot = site->docroot;
			ic->names = merged;
			ic->name_count = merged_count;
			ic->key_type = pem->key_type;
			ic->servers = 1u << s;
			ic->not_after = pem->not_after;
			r->pems[r->cert_count++] = pem;
		}
	}
	/* section names, unique */
	for (i = 0; i < r->cert_count; i++) {
		char *taken[INIT_SITES_MAX];
		size_t k;
		for (k = 0; k < i; k++)
			taken[k] = r->certs[k].section;
		if (init_section_name(r->certs[i].names[0], taken, i, r->certs[i].section,
		                      sizeof(r->certs[i].section)) != 0)
			return -1;
	}
	return 0;
}

static void print_edits(struct init_run *r, const struct init_config *c, const struct init_edit *e,
                        size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(r->notes, "%s:%d:\n", c->files[e[i].file].path, e[i].line);
		if (e[i].len > 0)
			fprintf(r->notes, "-\t%s\n", e[i].old);
		fprintf(r->notes, "+\t%s\n", e[i].text[0] == '\n' ? e[i].text + 1 : e[i].text);
	}
}

/* The deploy files of every certificate, from the store, before the server
 * is pointed at them (its check must find them). */
static void deploy_all(struct init_run *r, const struct conf *conf, struct store *st)
{
	size_t i;

	for (i = 0; i < r->cert_count; i++) {
		const struct conf_cert *cc = conf_cert_find(conf, r->certs[i].section);
		struct store_version *v = store_version_open(st, r->certs[i].section);
		struct deploy_input in;
		char *chain = NULL, *key = NULL;
		size_t chain_len = 0, key_len = 0;
		int changed = 0;
		memset(&in, 0, sizeof(in));
		if (cc != NULL && v != NULL &&
		    store_version_fullchain_load(v, &chain, &chain_len) == 0 &&
		    store_version_key_pem_load(v, &key, &key_len) == 0) {
			in.fullchain_pem = chain;
			in.fullchain_len = chain_len;
			in.key_pem = key;
			in.key_len = key_len;
			in.event = "certificate";
			/* HAProxy does not know the new file before its reload: that
			 * push fails and stays pending for holdfast run. */
			(void)deploy_certificate(conf, cc, &in, &changed, NULL);
		}
		if (key != NULL)
			OPENSSL_cleanse(key, key_len);
		free(key);
		free(chain);
		store_version_free(v);
	}
}

/* Rewrite c's files, check, restore or reload.  The result. */
static enum result apply(struct init_run *r, struct init_config *c, const struct init_edit *e,
                         size_t n, const struct conf *conf)
{
	char err[INIT_ERROR_MAX], backup[4200];
	char *nginx_t[] = {"nginx", "-t", "-c", (char *)r->file[c->server], NULL};
	char *apache_t[] = {"apache2ctl", "-t", "-f", (char *)r->file[c->server], NULL};
	char *haproxy_t[] = {"haproxy", "-c", "-q", "-f", (char *)r->file[c->server], NULL};
	char **check = c->server == INIT_NGINX    ? nginx_t
	               : c->server == INIT_APACHE ? apache_t
	                                          : haproxy_t;
	int touched[INIT_FILES_MAX] = {0};
	size_t i, k;

	if (r->file[c->server] == NULL)
		check[2] = NULL; /* nginx -t, apache2ctl -t: the default configuration */
	for (i = 0; i < n; i++)
		touched[e[i].file] = 1;
	for (k = 0; k < c->file_count; k++)
		if (touched[k] && adopt_file_check(&c->files[k], err, sizeof(err)) != 0) {
			fprintf(stderr, "holdfast init: %s\n", err);
			return RESULT_CRITICAL;
		}
	for (k = 0; k < c->file_count; k++) {
		char *text;
		size_t len = 0;
		if (!touched[k])
			continue;
		text = init_edits_apply(c->files[k].text, c->files[k].len, e, n, k, &len);
		if (text == NULL || adopt_file_replace(&c->files[k], text, len, backup,
		                                       sizeof(backup), err, sizeof(err)) != 0) {
			fprintf(stderr, "holdfast init: %s\n",
			        text ? err : "cannot apply the edits");
			free(text);
			goto restore;
		}
		free(text);
		fprintf(r->notes, "# changed %s (backup: %s)\n", c->files[k].path, backup);
	}
	if (adopt_run(check, "init-check") != 0) {
		fprintf(stderr,
		        "holdfast init: %s refuses the changed configuration: restoring "
		        "the backup\n",
		        init_server_name(c->server));
		goto restore;
	}
	if (c->server == INIT_HAPROXY) {
		if (adopt_haproxy_reload(c, err, sizeof(err)) != 0) {
			fprintf(r->notes, "# %s\n", err);
			return RESULT_WARNING;
		}
	} else {
		char **reload =
		    c->server == INIT_NGINX ? conf->nginx_reload.items : conf->apache_reload.items;
		if (adopt_run(reload, "init-reload") != 0) {
			fprintf(stderr,
			        "holdfast init: the reload failed; the configuration is "
			        "changed and checked: reload %s yourself\n",
			        init_server_name(c->server));
			return RESULT_CRITICAL;
		}
	}
	fprintf(r->notes, "# %s checked and reloaded\n", init_server_name(c->server));
	return RESULT_OK;
restore:
	for (k = 0; k < c->file_count; k++)
		if (touched[k])
			adopt_file_restore(&c->files[k]);
	return RESULT_CRITICAL;
}

/* --nginx and --apache take an optional FILE as the next word too. */
static const char *optional_file(int argc, char **argv)
{
	if (optarg != NULL)
		return optarg;
	if (optind < argc && argv[optind][0] != '-')
		return argv[optind++];
	return NULL;
}

int cmd_init(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"nginx", optional_argument, NULL, 'N'},
	    {"apache", optional_argument, NULL, 'A'},
	    {"haproxy", required_argument, NULL, 'H'},
	    {"store", required_argument, NULL, 's'},
	    {"ca", required_argument, NULL, 'C'},
	    {"apply", no_argument, NULL, 'a'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct init_run r;
	const char *cas[INIT_CAS_MAX], *out_path = NULL, *store_dir = NULL;
	char err[CONF_ERROR_MAX], nginx_reload[4200], apache_reload[4200], *text = NULL;
	char *deploy_dir = NULL;
	struct init_conf_options o;
	struct conf *conf = NULL;
	struct store *st = NULL;
	struct init_edit *edits[3] = {NULL, NULL, NULL};
	size_t edit_count[3] = {0, 0, 0}, ca_count = 0, i;
	int ch, verbose = 0, do_apply = 0, want[3] = {0, 0, 0}, todo = 0, s, rc = EXIT_UNKNOWN;

	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	r.result = RESULT_OK;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'N':
			want[INIT_NGINX] = 1;
			r.file[INIT_NGINX] = optional_file(argc, argv);
			break;
		case 'A':
			want[INIT_APACHE] = 1;
			r.file[INIT_APACHE] = optional_file(argc, argv);
			break;
		case 'H':
			want[INIT_HAPROXY] = 1;
			r.file[INIT_HAPROXY] = optarg;
			break;
		case 's':
			store_dir = optarg;
			break;
		case 'C':
			if (init_ca_find(optarg) == NULL) {
				fprintf(stderr, "holdfast init: --ca %s: not one of %s\n", optarg,
				        init_ca_names());
				return EXIT_UNKNOWN;
			}
			for (i = 0; i < ca_count; i++)
				if (strcmp(cas[i], optarg) == 0) {
					fprintf(stderr, "holdfast init: --ca %s given twice\n",
					        optarg);
					return EXIT_UNKNOWN;
				}
			if (ca_count == INIT_CAS_MAX) {
				fprintf(stderr, "holdfast init: at most %d --ca\n", INIT_CAS_MAX);
				return EXIT_UNKNOWN;
			}
			cas[ca_count++] = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'a':
			do_apply = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			init_usage(stdout);
			return EXIT_OK;
		default:
			init_usage(stderr);
			return EXIT_UNKNOWN;
		}
	}
	if (optind != argc || !(want[0] || want[1] || want[2])) {
		fprintf(stderr, "holdfast init: name a server: --nginx, --apache or --haproxy\n");
		init_usage(stderr);
		return EXIT_UNKNOWN;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	r.notes = out_path != NULL ? stdout : stderr;
	/* The deploy directory the written configuration will have, as conf
	 * derives it from the store, to recognise sites adopted before. */
	{
		char top[4200];
		int n = snprintf(top, sizeof(top), "%s%s%s\n", store_dir ? "store = " : "",
		                 store_dir ? store_dir : "", store_dir ? "" : "");
		if (n < 0 || (size_t)n >= sizeof(top) ||
		    (conf = conf_load_buffer("--store", top, (size_t)n, err, sizeof(err))) ==
		        NULL) {
			fprintf(stderr, "holdfast init: --store: %s\n", err);
			return EXIT_UNKNOWN;
		}
		if ((deploy_dir = strdup(conf->deploy_dir)) == NULL)
			goto out;
		r.deploy_dir = deploy_dir;
		conf_free(conf);
		conf = NULL;
	}

	/* 1. read */
	for (s = INIT_NGINX; s <= INIT_HAPROXY; s++) {
		if (!want[s])
			continue;
		r.cfg[s] = s == INIT_NGINX    ? adopt_nginx_read(r.file[s], err, sizeof(err))
		           : s == INIT_APACHE ? adopt_apache_read(r.file[s], err, sizeof(err))
		                              : adopt_haproxy_read(r.file[s], err, sizeof(err));
		if (r.cfg[s] == NULL) {
			fprintf(stderr, "holdfast init: %s: %s\n", init_server_name(s), err);
			goto out;
		}
		fprintf(r.notes, "# %s: %zu TLS site(s), %zu on plain HTTP left alone\n",
		        init_server_name(s), r.cfg[s]->site_count, r.cfg[s]->plain_count);
		if (r.cfg[s]->skip_count > 0) {
			fprintf(r.notes, "# %s: %zu site(s) not adopted, e.g. %s\n",
			        init_server_name(s), r.cfg[s]->skip_count, r.cfg[s]->skipped);
			r.result = result_worse(r.result, RESULT_WARNING);
		}
	}
	/* 2. certificates */
	if (collect(&r) != 0) {
		fprintf(stderr, "holdfast init: out of memory\n");
		goto out;
	}
	if (r.cert_count == 0) {
		/* nothing written: a second run finds only adopted sites (OK) */
		fprintf(stderr, "holdfast init: %s\n",
		        r.adopted_before ? "every TLS site is adopted already: nothing to do"
		                         : "no TLS site to adopt: nothing written");
		rc = r.adopted_before ? (int)r.result : (int)result_worse(r.result, RESULT_WARNING);
		goto out;
	}
	/* 3. holdfast.conf */
	o.store = store_dir;
	o.cas = cas;
	o.ca_count = ca_count;
	if (r.file[INIT_NGINX] != NULL) {
		snprintf(nginx_reload, sizeof(nginx_reload), "nginx -c %s -s reload",
		         r.file[INIT_NGINX]);
		o.nginx_reload = nginx_reload;
	}
	if (r.file[INIT_APACHE] != NULL) {
		snprintf(apache_reload, sizeof(apache_reload), "apache2ctl -f %s -k graceful",
		         r.file[INIT_APACHE]);
		o.apache_reload = apache_reload;
	}
	if (r.cfg[INIT_HAPROXY] != NULL)
		o.haproxy_socket = r.cfg[INIT_HAPROXY]->haproxy_socket
		                       ? r.cfg[INIT_HAPROXY]->haproxy_socket
		                       : "/run/haproxy/admin.sock";
	o.source = "the running web servers' configuration";
	text = init_conf_format(r.certs, r.cert_count, &o, &todo);
	if (text == NULL)
		goto out;
	conf = conf_load_buffer(out_path ? out_path : "holdfast.conf", text, strlen(text), err,
	                        sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "holdfast init: the configuration written does not load: %s\n",
		        err);
		goto out;
	}
	if (todo > 0) {
		fprintf(r.notes,
		        "# %d value(s) in the configuration to fill in by hand (EDIT, "
		        "eab_kid)\n",
		        todo);
		r.result = result_worse(r.result, RESULT_WARNING);
	}
	for (i = 0; i < ca_count; i++)
		if (strstr(init_ca_find(cas[i])->note ? init_ca_find(cas[i])->note : "",
		           "UNVERIFIED") != NULL) {
			fprintf(r.notes, "# --ca %s: %s\n", cas[i], init_ca_find(cas[i])->note);
			r.result = result_worse(r.result, RESULT_WARNING);
		}
	if (out_path != NULL) {
		if (store_write_atomic(out_path, text, strlen(text), 0644) != 0) {
			fprintf(stderr, "holdfast init: %s: %s\n", out_path, strerror(errno));
			goto out;
		}
	} else {
		fputs(text, stdout);
	}
	/* 4. import */
	st = store_open(conf, STORE_CREATE, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "holdfast init: %s\n", err);
		goto out;
	}
	for (i = 0; i < r.cert_count; i++) {
		int imported = 0;
		if (adopt_import(st, r.certs[i].section, r.pems[i], r.certs[i].names,
		                 r.certs[i].name_count, r.certs[i].key_type, conf->outage_margin,
		                 &imported, err, sizeof(err)) != 0) {
			fprintf(stderr, "holdfast init: [certificate %s]: %s\n", r.certs[i].section,
			        err);
			r.result = result_worse(r.result, RESULT_CRITICAL);
			do_apply = 0;
			continue;
		}
		fprintf(r.notes, "# [certificate %s]: %s %s\n", r.certs[i].section,
		        imported ? "imported" : "already in the store:", r.certs[i].cert);
	}
	/* 5. the server's lines */
	for (s = INIT_NGINX; s <= INIT_HAPROXY; s++) {
		struct init_config *c = r.cfg[s];
		for (i = 0; c != NULL && i < c->site_count; i++) {
			const struct init_cert *ic = cert_by_path(&r, c->sites[i].cert);
			if (ic != NULL &&
			    init_site_edits(c, &c->sites[i], ic->section, conf->deploy_dir,
			                    o.haproxy_socket, &edits[s], &edit_count[s]) != 0) {
				fprintf(stderr, "holdfast init: out of memory\n");
				goto out;
			}
		}
		if (c != NULL && edit_count[s] > 0) {
			fprintf(r.notes, "# %s: %s these lines:\n", init_server_name(s),
			        do_apply ? "changing" : "change");
			print_edits(&r, c, edits[s], edit_count[s]);
		}
	}
	if (do_apply) {
		deploy_all(&r, conf, st);
		for (s = INIT_NGINX; s <= INIT_HAPROXY; s++)
			if (r.cfg[s] != NULL && edit_count[s] > 0)
				r.result = result_worse(
				    r.result, apply(&r, r.cfg[s], edits[s], edit_count[s], conf));
	}
	rc = (int)r.result;
out:
	for (s = INIT_NGINX; s <= INIT_HAPROXY; s++) {
		init_edits_free(edits[s], edit_count[s]);
		init_config_free(r.cfg[s]);
	}
	for (i = 0; i < r.cert_count; i++) {
		init_names_free(r.certs[i].names, r.certs[i].name_count);
		free((char *)r.certs[i].where);
		adopt_pem_free(r.pems[i]);
	}
	free(r.certs);
	free(r.pems);
	free(text);
	free(deploy_dir);
	store_free(st);
	conf_free(conf);
	return rc;
}
