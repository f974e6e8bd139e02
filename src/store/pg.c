/*
 * pg: the fleet connection (see pg.h): connecting with libpq, migrating the
 * schema, the store key and its check value, and the lease operations.
 * Every statement takes its values as parameters (PQexecParams), never
 * spliced into SQL text.  The database's connection string may hold a
 * password: it is never logged or printed (libpq's messages do not repeat
 * it).
 *
 * Lease acquisition is one statement, INSERT ... ON CONFLICT DO UPDATE ...
 * WHERE the row is free or expired: PostgreSQL locks the conflicting row,
 * so of two nodes acquiring at once the second re-checks the WHERE against
 * the first's committed row and gets nothing back.  The token grows by one
 * on every acquisition and is never reset (fleet_lease_next_token()).
 */
#include "store/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "store/pg_schema.h"
#include "util/log.h"

/* libpq's connect_timeout when the database's string sets none. */
#define PG_CONNECT_TIMEOUT "5"

static const char *const outcome_names[] = {"ok", "unchanged", "refused", "skipped", "error"};

const char *pg_outcome_name(enum pg_outcome o)
{
	return (size_t)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o]
	                                                                    : "?";
}

int pg_error(PGconn *conn, const PGresult *r, const char *sqlstate, char *why, size_t whylen)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(conn);
	snprintf(why, whylen, "%s", msg != NULL && *msg ? msg : "database error");
	n = strlen(why);
	while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
		why[--n] = '\0';
	/* libpq's messages have lines ("failed: ...\n\tIs the server..."): one line. */
	for (char *p = why; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	return sqlstate != NULL && state != NULL && strcmp(state, sqlstate) == 0;
}

int pg_exec(PGconn *conn, const char *sql, char *why, size_t whylen)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType s = PQresultStatus(r);
	int rc = 0;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pg_error(conn, r, NULL, why, whylen);
		rc = -1;
	}
	PQclear(r);
	return rc;
}

void pg_rollback(PGconn *conn)
{
	PQclear(PQexec(conn, "ROLLBACK"));
}

int pg_key_file_load(const char *path, unsigned char key[SEAL_KEY_LEN], char *why, size_t whylen)
{
	struct stat sb;
	ssize_t n;
	int fd, rc = -1;
	unsigned char extra;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "%s: not a regular file", path);
		goto out;
	}
	if (sb.st_mode & 077) {
		snprintf(
		    why, whylen,
		    "%s: mode %04o: a store key must be readable by its owner only (chmod 600)",
		    path, (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	n = read(fd, key, SEAL_KEY_LEN);
	if (n != SEAL_KEY_LEN || read(fd, &extra, 1) != 0) {
		snprintf(why, whylen, "%s: a store key is exactly %d random bytes", path,
		         SEAL_KEY_LEN);
		OPENSSL_cleanse(key, SEAL_KEY_LEN);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/* 0 when the check value exists, or when f's key opens one of the keys
 * already stored (or none is); else -1 (why). */
static int existing_keys_open(struct pg_fleet *f, char *why, size_t whylen)
{
	const char *params[1] = {PG_KEY_CHECK_NAME};
	unsigned char aad[SEAL_AAD_MAX], *plain = NULL;
	size_t aad_len, plain_len = 0;
	char name[512];
	PGresult *r;
	int rc = -1;

	r = PQexecParams(
	    f->conn,
	    "SELECT s.name, s.version::text, s.key_sealed FROM holdfast_certificate_sets s\n"
	    " WHERE NOT EXISTS (SELECT 1 FROM holdfast_meta WHERE key = $1)\n"
	    " ORDER BY s.name, s.version LIMIT 1",
	    1, NULL, params, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		goto out;
	}
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	snprintf(name, sizeof(name), "%.*s", PQgetlength(r, 0, 0), PQgetvalue(r, 0, 0));
	aad_len = seal_aad_set(name, strtoll(PQgetvalue(r, 0, 1), NULL, 10), aad, sizeof(aad));
	if (aad_len != 0 &&
	    seal_decrypt(f->key, aad, aad_len, (const unsigned char *)PQgetvalue(r, 0, 2),
	                 (size_t)PQgetlength(r, 0, 2), &plain, &plain_len) == 0) {
		rc = 0;
		goto out;
	}
	snprintf(why, whylen,
	         "store_key does not open the keys already in the database (certificate %s), and "
	         "the database has no check value for it: the wrong key",
	         name);
out:
	PQclear(r);
	if (plain != NULL)
		OPENSSL_clear_free(plain, plain_len + 1);
	return rc;
}

/* Check f's store key against the database's check value, storing one
 * sealed with it when there is none yet (the first node to open).  0, or
 * -1 (why). */
static int key_check(struct pg_fleet *f, char *why, size_t whylen)
{
	const unsigned char *aad = (const unsigned char *)PG_KEY_CHECK_AAD;
	const char *params[2];
	int lengths[2], formats[2] = {0, 1};
	unsigned char *sealed = NULL, *plain = NULL;
	size_t sealed_len = 0, plain_len = 0;
	PGresult *r = NULL;
	int rc = -1;

	if (seal_encrypt(f->key, aad, strlen(PG_KEY_CHECK_AAD),
	                 (const unsigned char *)PG_KEY_CHECK_PLAIN, strlen(PG_KEY_CHECK_PLAIN),
	                 &sealed, &sealed_len) != 0) {
		snprintf(why, whylen, "cannot seal the store key's check value");
		return -1;
	}
	params[0] = PG_KEY_CHECK_NAME;
	params[1] = (const char *)sealed;
	lengths[0] = 0;
	lengths[1] = (int)sealed_len;
	/* Without a check value (a new database, or one whose check value was
	 * lost), a key that cannot open the keys already stored must not plant
	 * its own. */
	if (existing_keys_open(f, why, whylen) != 0)
		goto out;
	/* The first writer wins; everyone then checks what is there. */
	r = PQexecParams(f->conn,
	                 "INSERT INTO holdfast_meta (key, value) VALUES ($1, $2) "
	                 "ON CONFLICT (key) DO NOTHING",
	                 2, NULL, params, lengths, formats, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
		goto out;
	}
	PQclear(r);
	r = PQexecParams(f->conn, "SELECT value FROM holdfast_meta WHERE key = $1", 1, NULL, params,
	                 NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pg_error(f->conn, r, NULL, why, whylen);
		goto out;
	}
	if (seal_decrypt(f->key, aad, strlen(PG_KEY_CHECK_AAD),
	                 (const unsigned char *)PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
	                 &plain, &plain_len) != 0 ||
	    plain_len != strlen(PG_KEY_CHECK_PLAIN) ||
	    memcmp(plain, PG_KEY_CHECK_PLAIN, plain_len) != 0) {
		snprintf(why, whylen,
		         "store_key does not open this database's keys (its check value does "
		         "not verify): the wrong key, or a key not yet installed after "
		         "holdfast store rotate-key");
		goto out;
	}
	rc = 0;
out:
	PQclear(r);
	free(sealed);
	if (plain != NULL)
		OPENSSL_clear_free(plain, plain_len + 1);
	return rc;
}

struct pg_fleet *pg_fleet_open(const struct conf *conf, int *applied, int *schema_version,
                               char *why, size_t whylen)
{
	/* expand_dbname: "dbname" may be a whole conninfo or URI, whose keys
	 * override the defaults before it. */
	/* Keepalives and a statement timeout: a database that stops answering
	 * (a partition) fails the daemon's calls in seconds instead of
	 * hanging its loop; application_name names the node. */
	char app[FLEET_NODE_MAX + 16];
	const char *keys[] = {"connect_timeout",
	                      "application_name",
	                      "options",
	                      "keepalives_idle",
	                      "keepalives_interval",
	                      "keepalives_count",
	                      "tcp_user_timeout",
	                      "dbname",
	                      NULL};
	const char *values[] = {PG_CONNECT_TIMEOUT,
	                        app,
	                        "-c client_min_messages=warning -c statement_timeout=30000",
	                        "10",
	                        "5",
	                        "3",
	                        "20000",
	                        conf->database,
	                        NULL};
	struct pg_fleet *f = NULL;
	char reason[PG_WHY_MAX];

	snprintf(app, sizeof(app), "holdfast/%s", conf->node ? conf->node : "-");

	if (conf->database == NULL || conf->store_key == NULL || conf->node == NULL) {
		snprintf(why, whylen, "fleet mode is not configured (no database =)");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	snprintf(f->node, sizeof(f->node), "%s", conf->node);
	f->lease_ttl = conf->lease_ttl;
	if (pg_key_file_load(conf->store_key, f->key, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "store_key: %s", reason);
		goto fail;
	}
	f->conn = PQconnectdbParams(keys, values, 1);
	if (f->conn == NULL || PQstatus(f->conn) != CONNECTION_OK) {
		pg_error(f->conn, NULL, NULL, reason, sizeof(reason));
		snprintf(why, whylen, "database: cannot connect: %s", reason);
		goto fail;
	}
	if (pg_schema_migrate(f->conn, applied, schema_version, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "database: schema: %s", reason);
		goto fail;
	}
	if (key_check(f, reason, sizeof(reason)) != 0) {
		snprintf(why, whylen, "%s", reason);
		goto fail;
	}
	return f;
fail:
	pg_fleet_free(f);
	return NULL;
}

void pg_fleet_free(struct pg_fleet *f)
{
	if (f == NULL)
		return;
	if (f->conn != NULL)
		PQfinish(f->conn);
	OPENSSL_cleanse(f->key, sizeof(f->key));
	free(f);
}

const char *pg_fleet_node(const struct pg_fleet *f)
{
	return f->node;
}

/* Fill out from row i of r: holder, expires (epoch seconds), token. */
static void lease_from_row(const PGresult *r, int i, struct fleet_lease *out)
{
	memset(out, 0, sizeof(*out));
	out->exists = 1;
	if (!PQgetisnull(r, i, 0))
		snprintf(out->holder, sizeof(out->holder), "%s", PQgetvalue(r, i, 0));
	out->expires_at = (time_t)strtoll(PQgetvalue(r, i, 1), NULL, 10);
	out->token = strtoll(PQgetvalue(r, i, 2), NULL, 10);
}

#define LEASE_COLUMNS "holder, extract(epoch FROM expires_at)::bigint, token"

int pg_lease_read(struct pg_fleet *f, const char *name, struct fleet_lease *out, char *why,
                  size_t whylen)
{
	const char *params[1] = {name};
	PGresult *r =
	    PQexecParams(f->conn, "SELECT " LEASE_COLUMNS " FROM holdfast_leases WHERE name = $1",
	                 1, NULL, params, NULL, NULL, 0);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
	} else {
		if (PQntuples(r) == 1)
			lease_from_row(r, 0, out);
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* Run a lease statement with params name, node, then ttl or token: PG_OK
 * with the returned row in *out, PG_REFUSED when it returned none. */
static enum pg_outcome lease_statement(struct pg_fleet *f, const char *sql, const char *name,
                                       const char *third, struct fleet_lease *out, char *why,
                                       size_t whylen)
{
	const char *params[3] = {name, f->node, third};
	PGresult *r = PQexecParams(f->conn, sql, 3, NULL, params, NULL, NULL, 0);
	enum pg_outcome o = PG_ERROR;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pg_error(f->conn, r, NULL, why, whylen);
	} else if (PQntuples(r) == 1) {
		if (out != NULL)
			lease_from_row(r, 0, out);
		o = PG_OK;
	} else {
		o = PG_REFUSED;
	}
	PQclear(r);
	return o;
}

enum pg_outcome pg_lease_acquire(struct pg_fleet *f, const char *name, struct fleet_lease *out,
                                 char *why, size_t whylen)
{
	char ttl[32];
	enum pg_outcome o;

	snprintf(ttl, sizeof(ttl), "%ld", f->lease_ttl);
	o = lease_statement(
	    f,
	    "INSERT INTO holdfast_leases AS l (name, holder, expires_at, token)\n"
	    "  VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::integer), 1)\n"
	    "ON CONFLICT (name) DO UPDATE\n"
	    "  SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at, token = l.token + "
	    "1\n"
	    "  WHERE l.holder IS NULL OR l.expires_at <= clock_timestamp()\n"
	    "RETURNING " LEASE_COLUMNS,
	    name, ttl, out, why, whylen);
	if (o == PG_REFUSED && out != NULL && pg_lease_read(f, name, out, why, whylen) != 0)
		return PG_ERROR;
	if (o == PG_REFUSED)
		snprintf(why, whylen, "the lease is held by %s (token %lld)",
		         out != NULL && out->holder[0] ? out->holder : "another node",
		         out != NULL ? out->token : 0LL);
	return o;
}

enum pg_outcome pg_lease_renew(struct pg_fleet *f, const char *name, long long token,
                               struct fleet_lease *out, char *why, size_t whylen)
{
	char ttl_token[64];
	enum pg_outcome o;

	/* One parameter slot: "TTL TOKEN", split in SQL, keeps one helper. */
	snprintf(ttl_token, sizeof(ttl_token), "%ld %lld", f->lease_ttl, token);
	o = lease_statement(
	    f,
	    "UPDATE holdfast_leases\n"
	    "  SET expires_at = clock_timestamp() +\n"
	    "      make_interval(secs => split_part($3, ' ', 1)::integer)\n"
	    "  WHERE name = $1 AND holder = $2 AND token = split_part($3, ' ', 2)::bigint\n"
	    "    AND expires_at > clock_timestamp()\n"
	    "RETURNING " LEASE_COLUMNS,
	    name, ttl_token, out, why, whylen);
	if (o == PG_REFUSED)
		snprintf(why, whylen, "not holding the lease with token %lld (expired or taken)",
		         token);
	return o;
}

enum pg_outcome pg_lease_release(struct pg_fleet *f, const char *name, long long token, char *why,
                                 size_t whylen)
{
	char tok[32];
	enum pg_outcome o;

	snprintf(tok, sizeof(tok), "%lld", token);
	o = lease_statement(
	    f,
	    "UPDATE holdfast_leases SET holder = NULL, expires_at = clock_timestamp()\n"
	    "  WHERE name = $1 AND holder = $2 AND token = $3::bigint\n"
	    "RETURNING " LEASE_COLUMNS,
	    name, tok, NULL, why, whylen);
	if (o == PG_REFUSED)
		snprintf(why, whylen, "not holding the lease with token %lld", token);
	return o;
}

void pg_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;
	size_t i;

	out[0] = '\0';
	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n != sizeof(md))
		return;
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int pg_run(struct pg_fleet *f, const char *sql, int n, const char *const *params,
           const int *lengths, int *fenced, char *why, size_t whylen)
{
	int formats[PG_PARAMS_MAX] = {0};
	PGresult *r;
	int i, rc = 0;

	if (n < 0 || n > PG_PARAMS_MAX) {
		snprintf(why, whylen, "internal error: %d parameters", n);
		return -1;
	}
	for (i = 0; i < n; i++)
		formats[i] = lengths != NULL && lengths[i] > 0;
	r = PQexecParams(f->conn, sql, n, NULL, params, lengths, formats, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		int fence = pg_error(f->conn, r, PG_SQLSTATE_FENCED, why, whylen);
		if (fenced != NULL)
			*fenced = fence;
		rc = -1;
	}
	PQclear(r);
	return rc;
}

time_t pg_staple_this_update(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *basic = resp ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_SINGLERESP *single = basic ? OCSP_resp_get0(basic, 0) : NULL;
	ASN1_GENERALIZEDTIME *thisupd = NULL;
	struct tm tm;
	time_t t = 0;

	if (single != NULL && OCSP_single_get0_status(single, NULL, NULL, &thisupd, NULL) >= 0 &&
	    thisupd != NULL && ASN1_TIME_to_tm(thisupd, &tm) == 1)
		t = timegm(&tm);
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	return t;
}
