/*
 * b64url: base64url (RFC 4648 section 5) as ACME writes it, without padding,
 * through OpenSSL's encoder.  Pure; shared by the JWS code (acme/jws.c) and
 * the configuration, which refuses an eab_hmac_key that does not decode.
 */
#ifndef HOLDFAST_UTIL_B64URL_H
#define HOLDFAST_UTIL_B64URL_H

#include <stddef.h>

/* base64url without padding; returns a new string (free()) or NULL. */
char *b64url_new(const unsigned char *data, size_t len);

/* Decode base64url without padding ('+', '/' and '=' are refused); *out is
 * new (free()).  0 or -1. */
int b64url_decode_new(const char *s, unsigned char **out, size_t *len);

#endif
