/*
 * pg_sync: moving certificate sets between a node's files store (its local
 * copy) and the fleet database -- push (one set, under a lease token),
 * import (a whole files store), pull (newer sets into the local copy) --
 * and re-sealing every key under a new store key.  See pg.h for what each
 * guarantees.
 *
 * The same rule decides both directions: fleet_pull_decide(), so that a set
 * replaces another only when its notBefore is later.  Each push is one
 * transaction: the version number, the sealed key (its associated data
 * names that version), the row and its staple commit together or not at
 * all, and the fencing trigger checks the token inside it.  What comes from
 * the database is checked before it reaches the local copy: the key must
 * open, parse, and match the leaf.
 */
#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/log.h"

/* The state documents an import copies, by their names in the database. */
static const struct {
	enum store_state doc;
	const char *name;
} state_docs[] = {
    {STORE_STATE_DAEMON, "daemon.json"},
    {STORE_STATE_ENDPOINTS, "endpoints.json"},
    {STORE_STATE_AUDIT_LOG, "audit.jsonl"},
    {STORE_STATE_AUDIT, "audit-state.json"},
    {STORE_STATE_RDAP_BOOTSTRAP, "rdap-dns.json"},
    {STORE_STATE_DAEMON_INDEX, "daemon.idx"},
    {STORE_STATE_DAEMON_JOURNAL, "daemon.idx.log"},
    {STORE_STATE_PROBE, "probe.json"},
};

/* A local set, read through the store interface. */
struct local_set {
	struct store_cert *cert;
	char *fullchain, *key_pem, *meta_json;
	size_t fullchain_len, key_len;
	unsigned char *staple;
	size_t staple_len;
	struct fleet_set_id id;
};

static void local_set_clear(struct local_set *ls)
{
	store_cert_free(ls->cert);
	free(ls->fullchain);
	if (ls->key_pem != NULL)
		OPENSSL_clear_free(ls->key_pem, ls->key_len);
	free(ls->meta_json);
	free(ls->staple);
	memset(ls, 0, sizeof(*ls));
}

/* Read name's current set from local.  0 (ls->id.exists 0 when none), or -1
 * (why). */
static int local_set_read(struct store *local, const char *name, struct local_set *ls, char *why,
                          size_t whylen)
{
	memset(ls, 0, sizeof(*ls));
	ls->cert = store_cert_load(local, name);
	if (ls->cert == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "the local set does not load");
		return -1;
	}
	if (store_version_fullchain_load(ls->cert->version, &ls->fullchain, &ls->fullchain_len) !=
	        0 ||
	    store_version_key_pem_load(ls->cert->version, &ls->key_pem, &ls->key_len) != 0 ||
	    (ls->meta_json = cert_meta_format(ls->cert->meta)) == NULL) {
		snprintf(why, whylen, "reading the local set: %s", strerror(errno));
		local_set_clear(ls);
		return -1;
	}
	if (store_version_staple_load(ls->cert->version, &ls->staple, &ls->staple_len) != 0)
		ls->staple = NULL;
	ls->id.exists = 1;
	ls->id.placeholder = ls->cert->meta->placeholder;
	ls->id.not_before = ls->cert->not_before;
	pg_sha256_hex(ls->fullchain, ls->fullchain_len, ls->id.sha256);
	return 0;
}

/* The database's current set of name: its version, id and meta.json (new,
 * free()); with_key: also the sealed key and the staple into *r for the
 * caller (PQclear).  0 (id->exists 0 when none) or -1 (why). */
static int db_current(struct pg_fleet *f, const char *name, PGresult **res, char *why,
                      size_t whylen)
{
	const char *params[1] = {name};
	PGresult *r = PQexecParams(
	    f->conn,
	    "SELECT s.version, s.fullchain_sha256, extract(epoch FROM s.not_before)::bigint,\n"
	    "       s.meta_json, s.fullchain_pem, s.key_sealed, st.der\n"
	    "  FROM holdfast_certificate_sets s\n"
	    "  LEFT JOIN holdfast_staples st ON st.name = s.name AND st.version = s.version\n"
	    " WHERE s.name = $1 ORDER BY s.version DESC LIMIT 1",
	    1, NULL, params, NULL, NULL, 1);

	*res = NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		PQclear(r);
		return -1;
	}
	*res = r;
	return 0;
}

/* Binary-format column helpers over row 0 of a db_current() result. */
static long long col_int8(const PGresult *r, int c)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, 0, c);
	unsigned long long v = 0;
	int i;

	if (PQgetlength(r, 0, c) != 8)
		return 0;
	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (long long)v;
}

static void db_set_id(const PGresult *r, struct fleet_set_id *id, long long *version)
{
	memset(id, 0, sizeof(*id));
	*version = 0;
	if (PQntuples(r) != 1)
		return;
	id->exists = 1;
	*version = col_int8(r, 0);
	snprintf(id->sha256, sizeof(id->sha256), "%.*s", PQgetlength(r, 0, 1), PQgetvalue(r, 0, 1));
	id->not_before = (time_t)col_int8(r, 2);
}

/* Write ls's staple for (name, version) unless the database has those
 * bytes already.  0 or -1. */
static int staple_upsert(struct pg_fleet *f, const char *name, long long version,
                         const unsigned char *der, size_t len, char *why, size_t whylen)
{
	char ver[32];
	const char *params[3] = {name, ver, (const char *)der};
	int lengths[3] = {0, 0, (int)len};

	snprintf(ver, sizeof(ver), "%lld", version);
	return pg_run(
	    f,
	    "INSERT INTO holdfast_staples AS s (name, version, der) VALUES ($1, $2, $3)\n"
	    "ON CONFLICT (name, version) DO UPDATE SET der = EXCLUDED.der, updated_at = now()\n"
	    "  WHERE s.der IS DISTINCT FROM EXCLUDED.der",
	    3, params, lengths, NULL, why, whylen);
}

/* Push ls (read from the local store) as name under token, in the
 * transaction the caller opened. */
static enum pg_outcome push_in_tx(struct pg_fleet *f, const char *name, const struct local_set *ls,
                                  long long token, long long *version, char *why, size_t whylen)
{
	struct fleet_set_id db_id;
	PGresult *cur = NULL;
	unsigned char aad[SEAL_AAD_MAX], *sealed = NULL;
	size_t aad_len, sealed_len = 0;
	char ver[32], tok[32], nb[32], na[32];
	enum pg_outcome o = PG_ERROR;
	int fenced = 0;
	long long v;

	if (db_current(f, name, &cur, why, whylen) != 0)
		return PG_ERROR;
	db_set_id(cur, &db_id, &v);
	snprintf(tok, sizeof(tok), "%lld", token);
	/* The rule of pulls, the other way round: the local set goes in only
	 * when the database has none or an older one. */
	switch (fleet_pull_decide(&db_id, &ls->id)) {
	case FLEET_PULL_SAME: {
		const char *p[5] = {name, NULL, ls->meta_json, tok, f->node};
		snprintf(ver, sizeof(ver), "%lld", v);
		p[1] = ver;
		*version = v;
		o = PG_UNCHANGED;
		/* meta.json changes between issuances (renew_at, last_error):
		 * bring it up to date, fenced like any write of the set. */
		if (strcmp(PQgetvalue(cur, 0, 3), ls->meta_json) != 0 &&
		    pg_run(f,
		           "UPDATE holdfast_certificate_sets SET meta_json = $3,\n"
		           "  fencing_token = $4::bigint, written_by = $5\n"
		           " WHERE name = $1 AND version = $2::bigint",
		           5, p, NULL, &fenced, why, whylen) != 0)
			o = fenced ? PG_REFUSED : PG_ERROR;
		/* The staple only when the database has none or an older one
		 * (another node may have refreshed it since). */
		if (o == PG_UNCHANGED && ls->staple != NULL &&
		    (PQgetisnull(cur, 0, 6) ||
		     pg_staple_this_update((const unsigned char *)PQgetvalue(cur, 0, 6),
		                           (size_t)PQgetlength(cur, 0, 6)) <
		         pg_staple_this_update(ls->staple, ls->staple_len)) &&
		    staple_upsert(f, name, v, ls->staple, ls->staple_len, why, whylen) != 0)
			o = PG_ERROR;
		goto out;
	}
	case FLEET_PULL_LOCAL_NEWER:
	case FLEET_PULL_CONFLICT:
		snprintf(why, whylen,
		         "the database holds version %lld, newer than (or as new as) the local set",
		         v);
		*version = v;
		o = PG_SKIPPED;
		goto out;
	case FLEET_PULL_INSTALL:
	case FLEET_PULL_NONE:
		break;
	}
	v = v + 1;
	*version = v;
	aad_len = seal_aad_set(name, v, aad, sizeof(aad));
	if (aad_len == 0 || seal_encrypt(f->key, aad, aad_len, (const unsigned char *)ls->key_pem,
	                                 ls->key_len, &sealed, &sealed_len) != 0) {
		snprintf(why, whylen, "cannot seal the private key");
		goto out;
	}
	snprintf(ver, sizeof(ver), "%lld", v);
	snprintf(nb, sizeof(nb), "%lld", (long long)ls->cert->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)ls->cert->not_after);
	{
		const char *p[11] = {name,
		                     ver,
		                     ls->fullchain,
		                     (const char *)sealed,
		                     ls->meta_json,
		                     ls->cert->serial,
		                     nb,
		                     na,
		                     ls->id.sha256,
		                     f->node,
		                     tok};
		int len[11] = {0, 0, 0, (int)sealed_len, 0, 0, 0, 0, 0, 0, 0};
		if (pg_run(f,
		           "INSERT INTO holdfast_certificate_sets (name, version, fullchain_pem,\n"
		           "  key_sealed, meta_json, serial, not_before, not_after, "
		           "fullchain_sha256,\n"
		           "  written_by, fencing_token)\n"
		           "VALUES ($1, $2::bigint, $3, $4, $5, $6, to_timestamp($7::bigint),\n"
		           "  to_timestamp($8::bigint), $9, $10, $11::bigint)",
		           11, p, len, &fenced, why, whylen) != 0) {
			o = fenced ? PG_REFUSED : PG_ERROR;
			goto out;
		}
	}
	if (ls->staple != NULL &&
	    staple_upsert(f, name, v, ls->staple, ls->staple_len, why, whylen) != 0)
		goto out;
	/* Delivered at commit, to every node that listens (pg_fleet_listen). */
	if (pg_notify(f, "set", name, why, whylen) != 0)
		goto out;
	o = PG_OK;
out:
	PQclear(cur);
	free(sealed);
	return o;
}

enum pg_outcome pg_set_push(struct pg_fleet *f, struct store *local, const char *name,
                            long long token, long long *version, char *why, size_t whylen)
{
	struct local_set ls;
	enum pg_outcome o;

	*version = 0;
	if (local_set_read(local, name, &ls, why, whylen) != 0)
		return PG_ERROR;
	if (!ls.id.exists) {
		snprintf(why, whylen, "no certificate %s in the local store", name);
		return PG_ERROR;
	}
	if (ls.id.placeholder) {
		/* A placeholder is a node's stand-in until a CA issues; the
		 * fleet never shares one. */
		snprintf(why, whylen, "the local set is a placeholder: it stays local");
		local_set_clear(&ls);
		return PG_SKIPPED;
	}
	if (pg_exec(f->conn, "BEGIN", why, whylen) != 0) {
		local_set_clear(&ls);
		return PG_ERROR;
	}
	o = push_in_tx(f, name, &ls, token, version, why, whylen);
	if ((o == PG_OK || o == PG_UNCHANGED) && pg_exec(f->conn, "COMMIT", why, whylen) != 0) {
		/* A deferred failure at commit: nothing was written. */
		o = PG_ERROR;
	}
	if (o != PG_OK && o != PG_UNCHANGED)
		pg_rollback(f->conn);
	if (o == PG_REFUSED || o == PG_ERROR)
		*version = 0; /* nothing was written */
	local_set_clear(&ls);
	return o;
}

/* ------------------------------------------------------------------ import */

/* Copy the local state documents under this node's name; a document the
 * database already holds byte for byte is not written again. */
static int import_state(struct pg_fleet *f, struct store *local, struct pg_import_report *r)
{
	char why[PG_WHY_MAX];
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof(state_docs) / sizeof(state_docs[0]); i++) {
		unsigned char *data = NULL;
		size_t len = 0;
		PGresult *res;
		const char *p[3];
		int lengths[3] = {0, 0, 0}, formats[3] = {0, 0, 1};

		if (store_state_load(local, state_docs[i].doc, STORE_STATE_MAX, &data, &len) != 0)
			continue; /* never saved (ENOENT), or unreadable: the daemon rewrites it */
		p[0] = f->node;
		p[1] = state_docs[i].name;
		p[2] = (const char *)data;
		lengths[2] = (int)len;
		res = PQexecParams(
		    f->conn,
		    "INSERT INTO holdfast_state AS s (node, doc, data) VALUES ($1, $2, $3)\n"
		    "ON CONFLICT (node, doc) DO UPDATE SET data = EXCLUDED.data, updated_at = "
		    "now()\n"
		    "  WHERE s.data IS DISTINCT FROM EXCLUDED.data",
		    3, NULL, p, lengths, formats, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pg_error(f->conn, res, NULL, why, sizeof(why));
			log_error("store_import_failed", "node=%s doc=%s reason=\"%s\"", f->node,
			          state_docs[i].name, why);
			r->failed++;
			rc = -1;
		} else if (strcmp(PQcmdTuples(res), "1") == 0) {
			r->state_written++;
		} else {
			r->state_unchanged++;
		}
		PQclear(res);
		free(data);
	}
	return rc;
}

int pg_store_import(struct pg_fleet *f, struct store *local, struct pg_import_report *r)
{
	char **names = NULL, why[PG_WHY_MAX], safe[PG_WHY_MAX];
	size_t count = 0, i;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (store_cert_names(local, &names, &count) != 0) {
		log_error("store_import_failed", "reason=\"cannot list the local store\"");
		return -1;
	}
	for (i = 0; i < count; i++) {
		struct fleet_lease lease;
		enum pg_outcome o;
		long long version = 0;
		char rwhy[PG_WHY_MAX];

		r->certificates++;
		o = pg_lease_acquire(f, names[i], &lease, why, sizeof(why));
		if (o == PG_OK) {
			o = pg_set_push(f, local, names[i], lease.token, &version, why,
			                sizeof(why));
			if (pg_lease_release(f, names[i], lease.token, rwhy, sizeof(rwhy)) != PG_OK)
				log_warn("lease_release_failed", "cert=%s token=%lld reason=\"%s\"",
				         names[i], lease.token, log_safe(safe, sizeof(safe), rwhy));
		}
		switch (o) {
		case PG_OK:
			r->added++;
			log_info("store_imported", "cert=%s version=%lld node=%s", names[i],
			         version, f->node);
			break;
		case PG_UNCHANGED:
			r->unchanged++;
			break;
		case PG_SKIPPED:
			r->skipped++;
			log_warn("store_import_skipped", "cert=%s reason=\"%s\"", names[i],
			         log_safe(safe, sizeof(safe), why));
			break;
		case PG_REFUSED:
			r->refused++;
			rc = -1;
			log_error("store_import_refused", "cert=%s reason=\"%s\"", names[i],
			          log_safe(safe, sizeof(safe), why));
			break;
		case PG_ERROR:
			r->failed++;
			rc = -1;
			log_error("store_import_failed", "cert=%s reason=\"%s\"", names[i],
			          log_safe(safe, sizeof(safe), why));
			break;
		}
	}
	store_names_free(names, count);
	if (import_state(f, local, r) != 0)
		rc = -1;
	return rc;
}

/* -------------------------------------------------------------------- pull */

/* The leaf of a PEM chain and its notBefore; new, or NULL. */
static X509 *leaf_from_pem(const char *pem, size_t len, time_t *not_before)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	struct tm tm;

	BIO_free(bio);
	if (x != NULL && ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1) {
		*not_before = timegm(&tm);
		return x;
	}
	X509_free(x);
	return NULL;
}

/* Install the database's set (row 0 of cur) as name's current local set.
 * 0, or -1 (why; the local copy is unchanged). */
static int pull_install(struct pg_fleet *f, struct store *local, const char *name,
                        const PGresult *cur, long long version, char *why, size_t whylen)
{
	unsigned char aad[SEAL_AAD_MAX], *key_pem = NULL;
	size_t aad_len, key_len = 0;
	const char *chain = PQgetvalue(cur, 0, 4);
	struct cert_meta *meta = NULL;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	BIO *bio = NULL;
	time_t nb = 0;
	int rc = -1;

	aad_len = seal_aad_set(name, version, aad, sizeof(aad));
	if (aad_len == 0 ||
	    seal_decrypt(f->key, aad, aad_len, (const unsigned char *)PQgetvalue(cur, 0, 5),
	                 (size_t)PQgetlength(cur, 0, 5), &key_pem, &key_len) != 0) {
		snprintf(why, whylen,
		         "version %lld: the sealed key does not open with this store_key (or was "
		         "changed)",
		         version);
		goto out;
	}
	bio = BIO_new_mem_buf(key_pem, (int)key_len);
	key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	leaf = leaf_from_pem(chain, (size_t)PQgetlength(cur, 0, 4), &nb);
	meta = cert_meta_parse(PQgetvalue(cur, 0, 3), (size_t)PQgetlength(cur, 0, 3));
	if (key == NULL || leaf == NULL || meta == NULL || X509_check_private_key(leaf, key) != 1) {
		snprintf(why, whylen, "version %lld: %s", version,
		         key == NULL    ? "the key does not parse"
		         : leaf == NULL ? "fullchain.pem does not parse"
		         : meta == NULL ? "meta.json does not parse"
		                        : "the key is not the leaf's");
		goto out;
	}
	if (store_cert_install(local, name, key, chain, meta) != 0) {
		snprintf(why, whylen, "version %lld: the local store refused the set", version);
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	if (key_pem != NULL)
		OPENSSL_clear_free(key_pem, key_len + 1);
	EVP_PKEY_free(key);
	X509_free(leaf);
	cert_meta_free(meta);
	return rc;
}

/* Save the database's staple (column 6 of cur) with name's current local
 * set when the local one is missing or older.  1 saved, 0 not, -1 failed. */
static int pull_staple(struct store *local, const char *name, const PGresult *cur)
{
	const unsigned char *der = (const unsigned char *)PQgetvalue(cur, 0, 6);
	size_t len = (size_t)PQgetlength(cur, 0, 6);
	struct store_version *v;
	unsigned char *have = NULL;
	size_t have_len = 0;
	time_t db_t;
	int rc = 0;

	if (PQgetisnull(cur, 0, 6) || len == 0 || len > STORE_STAPLE_MAX)
		return 0;
	db_t = pg_staple_this_update(der, len);
	if (db_t == 0)
		return 0; /* not a response with a thisUpdate: never replaces anything */
	v = store_version_open(local, name);
	if (v == NULL)
		return -1;
	if (store_version_staple_load(v, &have, &have_len) == 0 &&
	    (pg_staple_this_update(have, have_len) >= db_t ||
	     (have_len == len && memcmp(have, der, len) == 0)))
		goto out;
	rc = store_version_staple_save(v, der, len) == 0 ? 1 : -1;
out:
	free(have);
	store_version_free(v);
	return rc;
}

/* Pull name (pg_store_pull()'s rule), counting into r; *version: the
 * database's current version (0: none).  0, or -1 (logged). */
static int pull_one(struct pg_fleet *f, struct store *local, const char *name, int with_staple,
                    struct pg_pull_report *r, long long *version)
{
	char why[PG_WHY_MAX], safe[PG_WHY_MAX];
	struct fleet_set_id db_id, local_id;
	struct local_set ls;
	PGresult *cur = NULL;
	enum fleet_pull d;
	X509 *leaf;
	int s, rc = 0;

	*version = 0;
	r->certificates++;
	if (local_set_read(local, name, &ls, why, sizeof(why)) != 0 ||
	    db_current(f, name, &cur, why, sizeof(why)) != 0) {
		log_error("store_pull_failed", "cert=%s reason=\"%s\"", name,
		          log_safe(safe, sizeof(safe), why));
		local_set_clear(&ls);
		r->failed++;
		return -1;
	}
	local_id = ls.id;
	local_set_clear(&ls);
	db_set_id(cur, &db_id, version);
	/* The row's notBefore column is the writer's word; the certificate's
	 * own is what counts. */
	leaf = db_id.exists ? leaf_from_pem(PQgetvalue(cur, 0, 4), (size_t)PQgetlength(cur, 0, 4),
	                                    &db_id.not_before)
	                    : NULL;
	X509_free(leaf);
	if (db_id.exists) {
		struct cert_meta *m =
		    cert_meta_parse(PQgetvalue(cur, 0, 3), (size_t)PQgetlength(cur, 0, 3));
		db_id.placeholder = m == NULL || m->placeholder;
		cert_meta_free(m);
	}
	d = fleet_pull_decide(&local_id, &db_id);
	if (d == FLEET_PULL_INSTALL) {
		if (pull_install(f, local, name, cur, *version, why, sizeof(why)) != 0) {
			log_error("store_pull_failed", "cert=%s reason=\"%s\"", name,
			          log_safe(safe, sizeof(safe), why));
			r->failed++;
			PQclear(cur);
			return -1;
		}
		log_info("store_pulled", "cert=%s version=%lld", name, *version);
		r->installed++;
	} else if (d == FLEET_PULL_SAME) {
		r->same++;
	} else if (d == FLEET_PULL_LOCAL_NEWER) {
		r->local_newer++;
	} else if (d == FLEET_PULL_CONFLICT) {
		r->conflict++;
		log_warn("store_pull_conflict",
		         "cert=%s version=%lld reason=\"a different set with the same "
		         "notBefore: the local one is kept\"",
		         name, *version);
	}
	if (with_staple && (d == FLEET_PULL_INSTALL || d == FLEET_PULL_SAME)) {
		s = pull_staple(local, name, cur);
		if (s > 0)
			r->staples++;
		else if (s < 0) {
			r->failed++;
			rc = -1;
		}
	}
	PQclear(cur);
	return rc;
}

int pg_set_pull(struct pg_fleet *f, struct store *local, const char *name, struct pg_pull_report *r,
                long long *version)
{
	memset(r, 0, sizeof(*r));
	return pull_one(f, local, name, 0, r, version);
}

int pg_store_pull(struct pg_fleet *f, struct store *local, struct pg_pull_report *r)
{
	PGresult *names = NULL;
	char why[PG_WHY_MAX], safe[PG_WHY_MAX];
	long long version;
	int i, n, rc = 0;

	memset(r, 0, sizeof(*r));
	names =
	    PQexec(f->conn, "SELECT DISTINCT name FROM holdfast_certificate_sets ORDER BY name");
	if (PQresultStatus(names) != PGRES_TUPLES_OK) {
		pg_error(f->conn, names, NULL, why, sizeof(why));
		log_error("store_pull_failed", "reason=\"%s\"", log_safe(safe, sizeof(safe), why));
		PQclear(names);
		return -1;
	}
	n = PQntuples(names);
	for (i = 0; i < n; i++)
		if (pull_one(f, local, PQgetvalue(names, i, 0), 1, r, &version) != 0)
			rc = -1;
	PQclear(names);
	return rc;
}

/* -------------------------------------------------------------- rotate-key */

int pg_store_rotate_key(struct pg_fleet *f, const char *new_key_path, size_t *count, char *why,
                        size_t whylen)
{
	unsigned char nkey[SEAL_KEY_LEN], aad[SEAL_AAD_MAX], *plain = NULL, *sealed = NULL;
	size_t aad_len, plain_len = 0, sealed_len = 0;
	char reason[PG_WHY_MAX];
	PGresult *rows = NULL;
	int i, n, rc = -1;

	*count = 0;
	if (pg_key_file_load(new_key_path, nkey, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "--new-key: %s", reason);
		return -1;
	}
	if (CRYPTO_memcmp(nkey, f->key, SEAL_KEY_LEN) == 0) {
		snprintf(why, whylen, "--new-key is the current store_key");
		goto out;
	}
	/* One transaction; the table lock keeps every writer out until the
	 * new seals are committed, so no key is sealed under the old key
	 * after the rotation. */
	if (pg_exec(f->conn, "BEGIN", why, whylen) != 0)
		goto out;
	if (pg_exec(
	        f->conn,
	        "LOCK TABLE holdfast_certificate_sets, holdfast_meta IN SHARE ROW EXCLUSIVE MODE",
	        why, whylen) != 0)
		goto rollback;
	rows = PQexecParams(f->conn,
	                    "SELECT name, version, key_sealed FROM holdfast_certificate_sets "
	                    "ORDER BY name, version",
	                    0, NULL, NULL, NULL, NULL, 1);
	if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
		pg_error(f->conn, rows, NULL, why, whylen);
		goto rollback;
	}
	n = PQntuples(rows);
	for (i = 0; i < n; i++) {
		char name[512], ver[32];
		long long v = 0;
		const unsigned char *p8 = (const unsigned char *)PQgetvalue(rows, i, 1);
		int k;

		snprintf(name, sizeof(name), "%.*s", PQgetlength(rows, i, 0),
		         PQgetvalue(rows, i, 0));
		for (k = 0; k < 8 && PQgetlength(rows, i, 1) == 8; k++)
			v = (long long)(((unsigned long long)v << 8) | p8[k]);
		aad_len = seal_aad_set(name, v, aad, sizeof(aad));
		if (aad_len == 0 ||
		    seal_decrypt(f->key, aad, aad_len,
		                 (const unsigned char *)PQgetvalue(rows, i, 2),
		                 (size_t)PQgetlength(rows, i, 2), &plain, &plain_len) != 0) {
			snprintf(why, whylen,
			         "certificate %s version %lld: the sealed key does not open with "
			         "the current store_key: nothing rotated",
			         name, v);
			goto rollback;
		}
		if (seal_encrypt(nkey, aad, aad_len, plain, plain_len, &sealed, &sealed_len) != 0) {
			snprintf(why, whylen, "cannot seal a key");
			goto rollback;
		}
		OPENSSL_clear_free(plain, plain_len + 1);
		plain = NULL;
		snprintf(ver, sizeof(ver), "%lld", v);
		{
			const char *p[3] = {name, ver, (const char *)sealed};
			int len[3] = {0, 0, (int)sealed_len};
			if (pg_run(f,
			           "UPDATE holdfast_certificate_sets SET key_sealed = $3\n"
			           " WHERE name = $1 AND version = $2::bigint",
			           3, p, len, NULL, why, whylen) != 0)
				goto rollback;
		}
		free(sealed);
		sealed = NULL;
		(*count)++;
	}
	if (seal_encrypt(nkey, (const unsigned char *)PG_KEY_CHECK_AAD, strlen(PG_KEY_CHECK_AAD),
	                 (const unsigned char *)PG_KEY_CHECK_PLAIN, strlen(PG_KEY_CHECK_PLAIN),
	                 &sealed, &sealed_len) != 0) {
		snprintf(why, whylen, "cannot seal the check value");
		goto rollback;
	}
	{
		const char *p[2] = {PG_KEY_CHECK_NAME, (const char *)sealed};
		int len[2] = {0, (int)sealed_len};
		if (pg_run(f, "UPDATE holdfast_meta SET value = $2 WHERE key = $1", 2, p, len, NULL,
		           why, whylen) != 0)
			goto rollback;
	}
	if (pg_exec(f->conn, "COMMIT", why, whylen) != 0)
		goto rollback;
	memcpy(f->key, nkey, SEAL_KEY_LEN);
	rc = 0;
	goto out;
rollback:
	pg_rollback(f->conn);
	*count = 0;
out:
	PQclear(rows);
	if (plain != NULL)
		OPENSSL_clear_free(plain, plain_len + 1);
	free(sealed);
	OPENSSL_cleanse(nkey, sizeof(nkey));
	return rc;
}
