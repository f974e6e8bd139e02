/*
 * url: the host part of the http(s) URLs holdfast finds in configurations,
 * certificates (AIA, CRL distribution points) and RDAP links.  Pure string
 * work, no libcurl, so it can be unit-tested and used on untrusted input:
 * every output is bounded and an IP literal is told apart from a name.
 */
#ifndef HOLDFAST_URL_H
#define HOLDFAST_URL_H

#include <stddef.h>

enum url_host_kind { URL_HOST_NAME, URL_HOST_IP };

/* The host of an http:// or https:// URL, lower case, without port,
 * brackets or trailing dot, into host; with_port appends ":PORT" when the URL
 * names one (a per-server key).  *kind (may be NULL) tells a DNS name from an
 * IPv4/IPv6 literal.  Returns 0, or -1 when url is not http(s), has no host,
 * or host does not fit. */
int url_host(const char *url, char *host, size_t hostlen, int with_port, enum url_host_kind *kind);

#define URL_REDACTED "REDACTED"

/* Copy text into out (outlen bytes, always terminated; cut when it does not
 * fit) with the userinfo of every URL in it ("scheme://USER:PASS@host")
 * replaced by URL_REDACTED, so a password in a configured directory or a
 * --url never reaches a log, a terminal or a JSON line.  text may be a whole
 * log line holding several URLs.  Returns out. */
const char *url_redact(const char *text, char *out, size_t outlen);

#endif
