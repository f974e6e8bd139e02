/*
 * seal: private keys at rest in the fleet database, encrypted with the
 * node-held store key (store_key = FILE, 32 bytes).  AES-256-GCM through
 * OpenSSL's EVP interface; each sealing draws a fresh random 96-bit nonce
 * (NIST SP 800-38D 8.2.2: random nonces are safe far beyond the 2^32
 * sealings a store will ever see), and binds the associated data -- the
 * certificate's name and the set's version -- so that a sealed key copied
 * onto another certificate's row, or onto another version of the same
 * certificate, does not open.  Pure: no I/O, nothing logged, no key
 * material leaves these functions except the plaintext handed back.
 *
 * A sealed blob is:  "HFS1" (4 bytes) | nonce (12) | ciphertext | tag (16).
 * Opening checks the magic, the length and the tag before a byte of
 * plaintext is returned: a blob changed anywhere, a wrong key or wrong
 * associated data are all refused the same way (GCM cannot tell them apart).
 */
#ifndef HOLDFAST_STORE_SEAL_H
#define HOLDFAST_STORE_SEAL_H

#include <stddef.h>

#define SEAL_KEY_LEN   32
#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN   16
#define SEAL_MAGIC     "HFS1"
#define SEAL_MAGIC_LEN 4
#define SEAL_OVERHEAD  (SEAL_MAGIC_LEN + SEAL_NONCE_LEN + SEAL_TAG_LEN)
#define SEAL_PLAIN_MAX (1024 * 1024) /* far above any private key's PEM */
#define SEAL_AAD_MAX   512

/* The associated data of a certificate set's key: "NAME\0VERSION" (decimal),
 * into dst; its length, or 0 when it does not fit or name is empty. */
size_t seal_aad_set(const char *name, long long version, unsigned char *dst, size_t len);

/* Seal len bytes of plain under key with aad and a fresh random nonce.
 * *out is a new buffer (free()) of *out_len = len + SEAL_OVERHEAD bytes.
 * 0, or -1 (no randomness, too large, out of memory). */
int seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *aad, size_t aad_len,
                 const unsigned char *plain, size_t len, unsigned char **out, size_t *out_len);

/* The same with the caller's nonce: for the tests only (a nonce must never
 * be used twice with one key). */
int seal_encrypt_with_nonce(const unsigned char key[SEAL_KEY_LEN],
                            const unsigned char nonce[SEAL_NONCE_LEN], const unsigned char *aad,
                            size_t aad_len, const unsigned char *plain, size_t len,
                            unsigned char **out, size_t *out_len);

/* Open a sealed blob.  *plain is a new buffer (the caller cleanses it with
 * OPENSSL_clear_free(*plain, *plain_len)), NUL-terminated for convenience
 * (the NUL is not counted).  0, or -1 when the blob is malformed, was
 * changed, or key or aad are not the ones it was sealed with. */
int seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *aad, size_t aad_len,
                 const unsigned char *sealed, size_t len, unsigned char **plain, size_t *plain_len);

#endif
