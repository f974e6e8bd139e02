/*
 * ari: when to renew a certificate.  RFC 9773 (ACME Renewal Information):
 * the certificate identifier sent to renewalInfo and in newOrder's
 * "replaces", and the choice of a moment inside the CA's suggested window.
 * Without ARI, renew when a third of the lifetime remains.  Pure functions.
 */
#ifndef HOLDFAST_ARI_H
#define HOLDFAST_ARI_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

/* RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(serial DER
 * contents).  Returns 0, or -1 when the certificate has no AKI keyid. */
int ari_cert_id(X509 *cert, char *dst, size_t dstlen);

/* Renewal time without ARI: not_after - lifetime / 3. */
time_t renew_at_lifetime(time_t not_before, time_t not_after);

/* A point in [start, end] chosen by r in [0, 1) (RFC 9773 4.2: uniformly at
 * random inside the window). */
time_t renew_at_window(time_t start, time_t end, double r);

#endif
