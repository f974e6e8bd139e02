/*
 * cert: loading certificates from PEM files and reading what holdfast needs
 * from them (OCSP URLs from the AIA extension, the serial as hex).  Files are
 * read with a size bound; nothing here touches the network.
 */
#ifndef HOLDFAST_CERT_H
#define HOLDFAST_CERT_H

#include <stddef.h>

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

/* Hex serial (upper case, no separators) into dst; "" on failure. */
const char *cert_serial_hex(X509 *cert, char *dst, size_t dstlen);

#endif
