/*
 * ari: when to renew a certificate.  RFC 9773 (ACME Renewal Information):
 * the certificate identifier sent to renewalInfo and in newOrder's
 * "replaces", and the choice of a moment inside the CA's suggested window.
 * Without ARI, renew when a third of the lifetime remains, and never later
 * than one outage margin (outage_margin, default 2 days, capped at half the
 * lifetime) before expiry: a 6-day certificate renews with 2 days left, not
 * 2 days minus an hour of outage.  Pure functions.
 */
#ifndef HOLDFAST_ARI_H
#define HOLDFAST_ARI_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

/* RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(serial DER
 * contents).  Returns 0, or -1 when the certificate has no AKI keyid. */
int ari_cert_id(X509 *cert, char *dst, size_t dstlen);

#define RENEW_OUTAGE_MARGIN_DEFAULT (2L * 86400)

/* The margin that applies to a certificate: margin, at most half its
 * lifetime (0 for a certificate without one). */
long renew_margin(time_t not_before, time_t not_after, long margin);

/* The latest moment a renewal is still on time: not_after minus
 * renew_margin().  Past it, an outage of outage_margin could see the
 * certificate expire (status: CRITICAL). */
time_t renew_deadline(time_t not_before, time_t not_after, long margin);

/* Renewal time without ARI: the earlier of not_after - lifetime / 3 and
 * renew_deadline(). */
time_t renew_at_lifetime(time_t not_before, time_t not_after, long margin);

/* The fraction of the lifetime left at now, in [0, 1] (0 for a certificate
 * without a lifetime or past its expiry). */
double renew_lifetime_left(time_t not_before, time_t not_after, time_t now);

/* A point in [start, end] chosen by r in [0, 1) (RFC 9773 4.2: uniformly at
 * random inside the window). */
time_t renew_at_window(time_t start, time_t end, double r);

#endif
