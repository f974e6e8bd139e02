/*
 * timeutil: conversions between ASN.1 times, time_t and the RFC 3339 UTC
 * strings holdfast prints ("2026-11-29T01:02:03Z"), and durations as the
 * configuration writes them ("1d 3h").  All UTC, no locale.
 */
#ifndef HOLDFAST_TIMEUTIL_H
#define HOLDFAST_TIMEUTIL_H

#include <stddef.h>
#include <time.h>

#include <openssl/asn1.h>

/* Convert; returns 0, or -1 when t is NULL or not a valid time. */
int time_from_asn1(const ASN1_TIME *t, time_t *out);

/* Format t as RFC 3339 UTC into dst (at least 21 bytes); returns dst, or ""
 * on failure. */
const char *time_format(char *dst, size_t dstlen, time_t t);

/* A duration for people, in the config's units, the two largest that are
 * not zero: "2d", "1d 3h", "45m 10s", "0s" (negative: as 0).  Returns dst. */
const char *duration_format(char *dst, size_t dstlen, long seconds);

/* Parse "YYYY-MM-DDTHH:MM:SSZ"; returns 0 or -1. */
int time_parse(const char *s, time_t *out);

/* Parse any RFC 3339 date-time: fractional seconds are dropped, "Z" or a
 * numeric offset is applied.  NULL or malformed: -1. */
int time_parse_rfc3339(const char *s, time_t *out);

#endif
