/*
 * cert: loading certificates from PEM files and reading what holdfast needs
 * from them (OCSP and CA-issuers URLs from the AIA extension, CRL
 * distribution points, the serial as hex).  Files are read with a size bound;
 * nothing here touches the network.
 *
 * struct cert_leaf is a certificate decoded without its public key, for the
 * daemon, which checks every stored leaf at start.  OpenSSL 3.0 decodes each
 * public key of d2i_X509() through its provider decoders: ~80 us per
 * certificate, most of it taking and releasing locks that every thread
 * shares, so it even gets slower with more threads.  A leaf's own key is never
 * needed to check it (its issuer's key is), nor to build its OCSP CertID.  The
 * encoding is decoded as strictly as d2i_X509() does; the key stays an opaque
 * SEQUENCE.
 */
#ifndef HOLDFAST_CERT_H
#define HOLDFAST_CERT_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#define CERT_FILE_MAX (1024 * 1024)
#define CERT_URLS_MAX 8

/* Load every certificate of a PEM file into a new stack (free with
 * OSSL_STACK_OF_X509_free / sk_X509_pop_free).  Returns NULL after writing a
 * reason into err when the file is unreadable, too large or holds none. */
STACK_OF(X509) * cert_chain_load(const char *path, char *err, size_t errlen);

/* Build a stack from in-memory PEM (len bytes); same contract as above. */
STACK_OF(X509) *
    cert_chain_from_pem(const unsigned char *pem, size_t len, char *err, size_t errlen);

/* Append the http(s) OCSP URLs of cert's AIA to urls (each newly allocated,
 * free()), skipping duplicates, up to max entries in total.  Returns the new
 * count. */
size_t cert_ocsp_urls(X509 *cert, char **urls, size_t count, size_t max);

/* Append the URIs of cert's AIA caIssuers entries (any scheme: the caller
 * decides what it can use) to urls, as cert_ocsp_urls() does. */
size_t cert_ca_issuers_urls(X509 *cert, char **urls, size_t count, size_t max);

/* Append the URIs of cert's CRL distribution points (RFC 5280 section
 * 4.2.1.13, fullName only; any scheme) to urls, as cert_ocsp_urls() does. */
size_t cert_crl_urls(X509 *cert, char **urls, size_t count, size_t max);

/* Hex serial (upper case, no separators) into dst; "" on failure. */
const char *cert_serial_hex(X509 *cert, char *dst, size_t dstlen);

/* The DER of the first two certificates of PEM text pem (len bytes): the
 * leaf and, when there is one, its issuer; nothing is decoded.  Both newly
 * allocated (free()); *issuer is NULL when there is only the leaf.  Returns 0,
 * or -1 when there is no certificate (or no memory). */
int cert_pem_leaf_issuer_der(const char *pem, size_t len, unsigned char **leaf, size_t *leaf_len,
                             unsigned char **issuer, size_t *issuer_len);

struct cert_leaf;

/* Decode DER (len bytes, nothing after it) without the public key.  A new
 * leaf (cert_leaf_free), or NULL when it is not a certificate. */
struct cert_leaf *cert_leaf_new(const unsigned char *der, size_t len);
void cert_leaf_free(struct cert_leaf *leaf);

/* 1 when issuer's subject is leaf's issuer name and issuer's key verifies
 * leaf's signature (the same checks as X509_check_issued() and X509_verify(),
 * without key usage); 0 otherwise, with the reason in why. */
int cert_leaf_verify(const struct cert_leaf *leaf, X509 *issuer, char *why, size_t whylen);

/* Parts of the leaf, borrowed: valid until cert_leaf_free(). */
const ASN1_INTEGER *cert_leaf_serial(const struct cert_leaf *leaf);
const X509_NAME *cert_leaf_issuer_name(const struct cert_leaf *leaf);

/* notBefore and notAfter; 0, or -1 when either is not a valid time. */
int cert_leaf_validity(const struct cert_leaf *leaf, time_t *not_before, time_t *not_after);

/* cert_ocsp_urls() for a leaf. */
size_t cert_leaf_ocsp_urls(const struct cert_leaf *leaf, char **urls, size_t count, size_t max);

/* cert_serial_hex() for a leaf. */
const char *cert_leaf_serial_hex(const struct cert_leaf *leaf, char *dst, size_t dstlen);

/* A self-signed certificate for names, valid from now - 300 s to now + days,
 * whose subject says it is a temporary placeholder, with key's public key.
 * The caller passes now so that what it records (meta.json) is the
 * certificate's validity to the second.  New PEM (free()), or NULL. */
char *cert_placeholder_pem_new(EVP_PKEY *key, char *const *names, size_t count, int days,
                               time_t now);

/* A subjectAltName extension listing names (count >= 1) as DNS names, for the
 * CSR and the placeholder.  New (X509_EXTENSION_free), or NULL. */
X509_EXTENSION *cert_san_extension_new(char *const *names, size_t count);

#endif
