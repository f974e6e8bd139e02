/*
 * ocsp/responder: a local OCSP responder (ocsp_listen; its API keeps the
 * historical prefix ocspd_) that answers from holdfast's store.
 *
 * Apache's mod_ssl cannot read a staple from a file: it asks a responder
 * itself, and by default staples whatever comes back, error answers
 * included, or nothing while the CA's responder is down.  Pointed at this
 * server (SSLStaplingForceURL http://127.0.0.1:PORT/), it gets the staple
 * holdfast fetched, validated and keeps through responder outages, and
 * nothing once holdfast has withdrawn it.  Any other server or tool that
 * speaks OCSP over HTTP (RFC 6960 appendix A: POST, or GET with the base64
 * request in the path) can use it the same way.
 *
 * The daemon publishes, per certificate, its CertID and the staple it
 * serves (or none) with the time the staple is withdrawn; the HTTP thread
 * (libmicrohttpd) answers from that table under a mutex and checks the
 * withdrawal time itself, so a late daemon loop cannot make it hand out a
 * staple past that time.  Answers:
 *   - the stored response, byte for byte, for a certificate with a valid
 *     staple;
 *   - tryLater (unsigned, RFC 6960 4.2.1) for a known certificate without
 *     one;
 *   - unauthorized for a certificate it does not know;
 *   - malformedRequest for anything that is not one well-formed request for
 *     exactly one certificate.
 */
#ifndef HOLDFAST_OCSP_RESPONDER_H
#define HOLDFAST_OCSP_RESPONDER_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#define OCSPD_REQUEST_MAX (16 * 1024) /* a request for one certificate is ~100 bytes */

struct ocspd;

enum ocspd_answer {
	OCSPD_STAPLE,       /* the stored response */
	OCSPD_TRY_LATER,    /* known certificate, no valid staple */
	OCSPD_UNAUTHORIZED, /* not a certificate of this store */
	OCSPD_MALFORMED,    /* not one well-formed single request */
};

/* An empty table, serving nothing yet (ocspd_free); NULL without memory. */
struct ocspd *ocspd_new(void);

/* Serve the table over HTTP on "HOST:PORT".  0, or -1 (logged). */
int ocspd_listen(struct ocspd *o, const char *listen);

/* Stop serving and free the table (NULL is fine). */
void ocspd_free(struct ocspd *o);

/* Publish certificate name: the CertID parts (its issuer's name and serial,
 * the issuer certificate for its key) and the staple to serve until
 * withdraw_at (staple NULL: none).  Replaces what name had.  0, or -1 when
 * out of memory (name then answers tryLater). */
int ocspd_publish(struct ocspd *o, const char *name, const X509_NAME *issuer_name,
                  const ASN1_INTEGER *serial, X509 *issuer, const unsigned char *staple,
                  size_t staple_len, time_t withdraw_at);

/* Forget certificate name (it has no certificate any more). */
void ocspd_forget(struct ocspd *o, const char *name);

/* Answer the DER OCSP request req (len bytes) at time now: the DER response
 * into *out (malloc'd, *out_len bytes) and, for a known certificate, its name
 * into name (nameLen bytes; "" otherwise).  Returns the kind of answer; *out
 * is NULL only when out of memory. */
enum ocspd_answer ocspd_answer(struct ocspd *o, const unsigned char *req, size_t len, time_t now,
                               unsigned char **out, size_t *out_len, char *name, size_t name_len);

const char *ocspd_answer_name(enum ocspd_answer a);

/* Answers given so far, by enum ocspd_answer (for the metrics). */
void ocspd_counts(struct ocspd *o, unsigned long counts[4]);

#endif
