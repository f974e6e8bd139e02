/*
 * acme_jws: the cryptography ACME needs, behind one narrow interface (the
 * uacme idea): key generation, JWK (RFC 7517) and its thumbprint (RFC 7638),
 * flattened JWS signing (RFC 7515, RFC 8555 6.2) with ES256/ES384/RS256,
 * external account binding (RFC 8555 7.3.4, HS256), CSRs and base64url.
 * OpenSSL 3 only; no I/O.
 */
#ifndef HOLDFAST_ACME_JWS_H
#define HOLDFAST_ACME_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "util/b64url.h"

/* A new private key of the given type, or NULL. */
EVP_PKEY *key_generate(enum conf_key_type type);

/* The public JWK of key as a new JSON object, or NULL. */
json_t *jwk_new(EVP_PKEY *key);

/* RFC 7638 SHA-256 thumbprint of key's JWK, base64url, into dst.  0 or -1. */
int jwk_thumbprint(EVP_PKEY *key, char *dst, size_t dstlen);

/* Flattened JWS over payload ("" for POST-as-GET) with the protected header
 * {alg, nonce, url, kid} or {alg, nonce, url, jwk} when kid is NULL.  Returns
 * a new JSON text (free()) or NULL. */
char *jws_sign_new(EVP_PKEY *key, const char *kid, const char *nonce, const char *url,
                   const char *payload);

/* The externalAccountBinding object for newAccount: an HS256 JWS over the
 * account's JWK, keyed with the CA-provided MAC key (base64url).  New JSON
 * object or NULL. */
json_t *jws_eab_new(const char *eab_kid, const char *hmac_key_b64url, EVP_PKEY *account_key,
                    const char *url);

/* DER CSR for names (first one is the CN) signed by key, optionally with the
 * TLS Feature extension status_request (must-staple, RFC 7633).  *der is new
 * (free()).  0 or -1. */
int csr_der_new(EVP_PKEY *key, char *const *names, size_t count, int must_staple,
                unsigned char **der, size_t *len);

#endif
