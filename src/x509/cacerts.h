/*
 * cacerts: the CA certificates that issued the daemon's leaves, decoded once
 * and shared.
 *
 * Every certificate in the store carries its issuer in fullchain.pem, and
 * with one CA the same few hundred bytes come back for every site: decoding
 * them into an X509 per site cost 175 us and 4.7 KB each at 100,000 sites.
 * A set of certificates keyed by their DER hands out one X509 per distinct
 * DER instead, valid until cacerts_free().  The set only grows (an
 * intermediate the CA stopped using stays until the next reload); it holds
 * as many entries as there are distinct issuers, which is a handful.
 *
 * Safe to call from several threads at once (the daemon loads the store on
 * worker threads); the X509 objects are fully decoded and their extensions
 * cached before they are handed out, so sharing them read-only is safe.
 */
#ifndef HOLDFAST_CACERTS_H
#define HOLDFAST_CACERTS_H

#include <stddef.h>

#include <openssl/x509.h>

struct cacerts;

/* An empty set (cacerts_free), or NULL when out of memory. */
struct cacerts *cacerts_new(void);
void cacerts_free(struct cacerts *set);

/* The certificate encoded as der (len bytes), decoded at its first use and
 * borrowed from the set; NULL when der is not a certificate. */
X509 *cacerts_get(struct cacerts *set, const unsigned char *der, size_t len);

#endif
