

#include "ocsp/responder.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ocsp/check.h"
#include "util/httpd.h"
#include "util/log.h"

/* One published certificate, in two hash chains: by name (for publishing)
 * and by serial (for answering). */
struct entry {
	char *name;
	OCSP_CERTID *id_sha1, *id_sha256;
	unsigned char *staple; /* NULL: none to serve */
	size_t staple_len;
	time_t withdraw_at;
	uint64_t name_hash, serial_hash;
	struct entry *next_name, *next_serial;
};

struct ocspd {
	pthread_mutex_t lock;
	struct entry **by_name, **by_serial;
	size_t buckets, count;
	struct http_server *http;
	atomic_ulong answered[4]; /* by enum ocspd_answer */
};

/* A request body being received. */
struct upload {
	unsigned char data[OCSPD_REQUEST_MAX];
	size_t len;
};

/* tryLater is staple_placeholder_der (ocsp.h). */
static const unsigned char answer_unauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};
static const unsigned char answer_malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t serial_hash(const ASN1_INTEGER *serial)
{
	return fnv1a(ASN1_STRING_get0_data(serial), (size_t)ASN1_STRING_length(serial));
}

const char *ocspd_answer_name(enum ocspd_answer a)
{
	switch (a) {
	case OCSPD_STAPLE:
		return "staple";
	case OCSPD_TRY_LATER:
		return "tryLater";
	case OCSPD_UNAUTHORIZED:
		return "unauthorized";
	case OCSPD_MALFORMED:
		break;
	}
	return "malformedRequest";
}

struct ocspd *ocspd_new(void)
{
	struct ocspd *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->buckets = 256;
	o->by_name = calloc(o->buckets, sizeof(*o->by_name));
	o->by_serial = calloc(o->buckets, sizeof(*o->by_serial));
	if (o->by_name == NULL || o->by_serial == NULL || pthread_mutex_init(&o->lock, NULL) != 0) {
		free(o->by_name);
		free(o->by_serial);
		free(o);
		return NULL;
	}
	return o;
}

static void entry_free(struct entry *e)
{
	free(e->name);
	OCSP_CERTID_free(e->id_sha1);
	OCSP_CERTID_free(e->id_sha256);
	free(e->staple);
	free(e);
}

void ocspd_free(struct ocspd *o)
{
	size_t i;

	if (o == NULL)
		return;
	if (o->http != NULL)
		http_server_stop(o->http);
	for (i = 0; i < o->buckets; i++) {
		struct entry *e = o->by_name[i], *next;
		for (; e != NULL; e = next) {
			next = e->next_name;
			entry_free(e);
		}
	}
	free(o->by_name);
	free(o->by_serial);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* Unlink e from the serial chain it is in. */
static void unlink_serial(struct ocspd *o, struct entry *e)
{
	struct entry **p = &o->by_serial[e->serial_hash % o->buckets];

	for (; *p != NULL; p = &(*p)->next_serial) {
		if (*p == e) {
			*p = e->next_serial;
			return;
		}
	}
}

/* Double the buckets when the table is full; a failed grow keeps the old
 * (longer chains, still correct). */
static void grow(struct ocspd *o)
{
	size_t n = o->buckets * 2, i;
	struct entry **bn, **bs;

	if (o->count < o->buckets)
		return;
	bn = calloc(n, sizeof(*bn));
	bs = calloc(n, sizeof(*bs));
	if (bn == NULL || bs == NULL) {
		free(bn);
		free(bs);
		return;
	}
	for (i = 0; i < o->buckets; i++) {
		struct entry *e = o->by_name[i], *next;
		for (; e != NULL; e = next) {
			next = e->next_name;
			e->next_name = bn[e->name_hash % n];
			bn[e->name_hash % n] = e;
			e->next_serial = bs[e->serial_hash % n];
			bs[e->serial_hash % n] = e;
		}
	}
	free(o->by_name);
	free(o->by_serial);
	o->by_name = bn;
	o->by_serial = bs;
	o->buckets = n;
}

static struct entry **find_name(struct ocspd *o, const char *name, uint64_t h)
{
	struct entry **p = &o->by_name[h % o->buckets];

	while (*p != NULL && strcmp((*p)->name, name) != 0)
		p = &(*p)->next_name;
	return p;
}

int ocspd_publish(struct ocspd *o, const char *name, const X509_NAME *issuer_name,
                  const ASN1_INTEGER *serial, X509 *issuer, const unsigned char *staple,
                  size_t staple_len, time_t withdraw_at)
{
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(issuer);
	uint64_t h = fnv1a((const unsigned char *)name, strlen(name));
	struct entry *e = calloc(1, sizeof(*e)), **p;

	if (e == NULL)
		return -1;
	e->name = strdup(name);
	e->name_hash = h;
	e->serial_hash = serial_hash(serial);
	e->withdraw_at = withdraw_at;
	/* OCSP_cert_id_new() takes non-const pointers it only reads. */
	if (key != NULL) {
		e->id_sha1 = OCSP_cert_id_new(EVP_sha1(), (X509_NAME *)issuer_name,
		                              (ASN1_BIT_STRING *)key, (ASN1_INTEGER *)serial);
		e->id_sha256 = OCSP_cert_id_new(EVP_sha256(), (X509_NAME *)issuer_name,
		                                (ASN1_BIT_STRING *)key, (ASN1_INTEGER *)serial);
	}
	if (staple != NULL && staple_len > 0 && (e->staple = malloc(staple_len)) != NULL) {
		memcpy(e->staple, staple, staple_len);
		e->staple_len = staple_len;
	}
	if (e->name == NULL || e->id_sha1 == NULL || e->id_sha256 == NULL ||
	    (staple != NULL && e->staple == NULL)) {
		/* What it had must not be served any more: keep the entry,
		 * without a staple, if there is one. */
		entry_free(e);
		pthread_mutex_lock(&o->lock);
		p = find_name(o, name, h);
		if (*p != NULL) {
			free((*p)->staple);
			(*p)->staple = NULL;
			(*p)->staple_len = 0;
		}
		pthread_mutex_unlock(&o->lock);
		return -1;
	}
	pthread_mutex_lock(&o->lock);
	p = find_name(o, name, h);
	if (*p != NULL) {
		struct entry *old = *p;
		*p = old->next_name;
		unlink_serial(o, old);
		entry_free(old);
		o->count--;
	}
	e->next_name = o->by_name[h % o->buckets];
	o->by_name[h % o->buckets] = e;
	e->next_serial = o->by_serial[e->serial_hash % o->buckets];
	o->by_serial[e->serial_hash % o->buckets] = e;
	o->count++;
	grow(o);
	pthread_mutex_unlock(&o->lock);
	return 0;
}

void ocspd_forget(struct ocspd *o, const char *name)
{
	uint64_t h = fnv1a((const unsigned char *)name, strlen(name));
	struct entry **p, *e = NULL;

	pthread_mutex_lock(&o->lock);
	p = find_name(o, name, h);
	if (*p != NULL) {
		e = *p;
		*p = e->next_name;
		unlink_serial(o, e);
		o->count--;
	}
	pthread_mutex_unlock(&o->lock);
	if (e != NULL)
		entry_free(e);
}

static enum ocspd_answer copy_answer(const unsigned char *der, size_t len, unsigned char **out,
                                     size_t *out_len, enum ocspd_answer a)
{
	*out = malloc(len);
	*out_len = *out ? len : 0;
	if (*out != NULL)
		memcpy(*out, der, len);
	return a;
}

enum ocspd_answer ocspd_answer(struct ocspd *o, const unsigned char *req, size_t len, time_t now,
                               unsigned char **out, size_t *out_len, char *name, size_t name_len)
{
	const unsigned char *p = req;
	OCSP_REQUEST *r = NULL;
	OCSP_CERTID *cid;
	ASN1_INTEGER *serial = NULL;
	struct entry *e;
	enum ocspd_answer a = OCSPD_MALFORMED;

	*out = NULL;
	*out_len = 0;
	if (name_len > 0)
		name[0] = '\0';
	if (len == 0 || len > OCSPD_REQUEST_MAX || len > LONG_MAX ||
	    (r = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL || p != req + len ||
	    OCSP_request_onereq_count(r) != 1 ||
	    (cid = OCSP_onereq_get0_id(OCSP_request_onereq_get0(r, 0))) == NULL ||
	    OCSP_id_get0_info(NULL, NULL, NULL, &serial, cid) != 1 || serial == NULL) {
		OCSP_REQUEST_free(r);
		atomic_fetch_add(&o->answered[a], 1);
		return copy_answer(answer_malformed, sizeof(answer_malformed), out, out_len, a);
	}
	pthread_mutex_lock(&o->lock);
	for (e = o->by_serial[serial_hash(serial) % o->buckets]; e != NULL; e = e->next_serial) {
		if (OCSP_id_cmp(cid, e->id_sha1) == 0 || OCSP_id_cmp(cid, e->id_sha256) == 0)
			break;
	}
	if (e == NULL) {
		a = copy_answer(answer_unauthorized, sizeof(answer_unauthorized), out, out_len,
		                OCSPD_UNAUTHORIZED);
	} else {
		if (name_len > 0)
			snprintf(name, name_len, "%s", e->name);
		if (e->staple != NULL && now < e->withdraw_at)
			a = copy_answer(e->staple, e->staple_len, out, out_len, OCSPD_STAPLE);
		else
			a = copy_answer(staple_placeholder_der, sizeof(staple_placeholder_der), out,
			                out_len, OCSPD_TRY_LATER);
	}
	pthread_mutex_unlock(&o->lock);
	OCSP_REQUEST_free(r);
	atomic_fetch_add(&o->answered[a], 1);
	return a;
}

void ocspd_counts(struct ocspd *o, unsigned long counts[4])
{
	int i;

	for (i = 0; i < 4; i++)
		counts[i] = atomic_load(&o->answered[i]);
}

/* ---------------------------------------------------------------- HTTP */

/* GET /BASE64: the request, base64 (standard alphabet, padded), already
 * percent-decoded by libmicrohttpd.  The decoded length, or -1. */
static long get_request_decode(const char *url, unsigned char *dst, size_t dstlen)
{
	size_t n, pad = 0;
	int got;

	while (*url == '/')
		url++;
	n = strlen(url);
	if (n == 0 || n % 4 != 0 || n / 4 * 3 > dstlen || n > INT32_MAX)
		return -1;
	if (url[n - 1] == '=')
		pad++;
	if (n >= 2 && url[n - 2] == '=')
		pad++;
	got = EVP_DecodeBlock(dst, (const unsigned char *)url, (int)n);
	if (got < 0 || (size_t)got < pad)
		return -1;
	return (long)((size_t)got - pad);
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
                               unsigned char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	if (status == MHD_HTTP_OK)
		MHD_add_response_header(r, "Content-Type", "application/ocsp-response");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
	struct ocspd *o = cls;
	struct upload *u = *con_cls;
	unsigned char *out = NULL;
	size_t out_len = 0;
	char name[256];
	enum ocspd_answer a;
	int is_post = strcmp(method, "POST") == 0;

	(void)version;
	if (!is_post && strcmp(method, "GET") != 0)
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, 0);
	if (u == NULL) {
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		/* Refused before a byte of it is read (no 100 Continue either). */
		if (cl != NULL && strtoull(cl, NULL, 10) > OCSPD_REQUEST_MAX)
			return respond(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL, 0);
		u = calloc(1, sizeof(*u));
		if (u == NULL)
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* A chunked body (no Content-Length) past the limit: hang up
		 * rather than read on. */
		if (u->len + *upload_data_size > sizeof(u->data))
			return MHD_NO;
		memcpy(u->data + u->len, upload_data, *upload_data_size);
		u->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!is_post) {
		long n = get_request_decode(url, u->data, sizeof(u->data));
		u->len = n > 0 ? (size_t)n : 0;
	}
	a = ocspd_answer(o, u->data, u->len, time(NULL), &out, &out_len, name, sizeof(name));
	if (out == NULL)
		return MHD_NO;
	log_debug("ocsp_answered", "cert=%s answer=%s method=%s", name[0] ? name : "-",
	          ocspd_answer_name(a), is_post ? "POST" : "GET");
	return respond(conn, MHD_HTTP_OK, out, out_len);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int ocspd_listen(struct ocspd *o, const char *listen)
{
	o->http = http_server_start(listen, "ocsp", 64, handler, o, completed);
	return o->http != NULL ? 0 : -1;
}
