/*
 * seal: AES-256-GCM sealing of private keys for the fleet database (see
 * seal.h for the format and what it guarantees).  Only OpenSSL's EVP AEAD
 * interface does the cryptography; this file lays out the blob and checks
 * every length before OpenSSL sees it.
 */
#include "store/seal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

size_t seal_aad_set(const char *name, long long version, unsigned char *dst, size_t len)
{
	size_t n = name != NULL ? strlen(name) : 0;
	int m;

	if (n == 0 || n + 1 >= len)
		return 0;
	memcpy(dst, name, n);
	dst[n] = '\0';
	m = snprintf((char *)dst + n + 1, len - n - 1, "%lld", version);
	if (m < 0 || (size_t)m >= len - n - 1)
		return 0;
	return n + 1 + (size_t)m;
}

int seal_encrypt_with_nonce(const unsigned char key[SEAL_KEY_LEN],
                            const unsigned char nonce[SEAL_NONCE_LEN], const unsigned char *aad,
                            size_t aad_len, const unsigned char *plain, size_t len,
                            unsigned char **out, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL, *ct;
	int n = 0, fin = 0, rc = -1;

	*out = NULL;
	*out_len = 0;
	if (len > SEAL_PLAIN_MAX || aad_len > SEAL_AAD_MAX || len == 0)
		return -1;
	buf = malloc(len + SEAL_OVERHEAD);
	ctx = EVP_CIPHER_CTX_new();
	if (buf == NULL || ctx == NULL)
		goto out;
	memcpy(buf, SEAL_MAGIC, SEAL_MAGIC_LEN);
	memcpy(buf + SEAL_MAGIC_LEN, nonce, SEAL_NONCE_LEN);
	ct = buf + SEAL_MAGIC_LEN + SEAL_NONCE_LEN;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (EVP_EncryptUpdate(ctx, ct, &n, plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n, &fin) != 1 || (size_t)(n + fin) != len ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, ct + len) != 1)
		goto out;
	*out = buf;
	*out_len = len + SEAL_OVERHEAD;
	buf = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	free(buf);
	return rc;
}

int seal_encrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *aad, size_t aad_len,
                 const unsigned char *plain, size_t len, unsigned char **out, size_t *out_len)
{
	unsigned char nonce[SEAL_NONCE_LEN];

	*out = NULL;
	*out_len = 0;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	return seal_encrypt_with_nonce(key, nonce, aad, aad_len, plain, len, out, out_len);
}

int seal_decrypt(const unsigned char key[SEAL_KEY_LEN], const unsigned char *aad, size_t aad_len,
                 const unsigned char *sealed, size_t len, unsigned char **plain, size_t *plain_len)
{
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *buf = NULL, tag[SEAL_TAG_LEN];
	const unsigned char *nonce, *ct;
	size_t ct_len;
	int n = 0, fin = 0, rc = -1;

	*plain = NULL;
	*plain_len = 0;
	if (len <= SEAL_OVERHEAD || len - SEAL_OVERHEAD > SEAL_PLAIN_MAX ||
	    aad_len > SEAL_AAD_MAX || memcmp(sealed, SEAL_MAGIC, SEAL_MAGIC_LEN) != 0)
		return -1;
	nonce = sealed + SEAL_MAGIC_LEN;
	ct = nonce + SEAL_NONCE_LEN;
	ct_len = len - SEAL_OVERHEAD;
	memcpy(tag, ct + ct_len, SEAL_TAG_LEN);
	buf = OPENSSL_malloc(ct_len + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (buf == NULL || ctx == NULL)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SEAL_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1)
		goto out;
	if (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1)
		goto out;
	if (EVP_DecryptUpdate(ctx, buf, &n, ct, (int)ct_len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) != 1)
		goto out;
	/* The tag is checked here; until it passes, buf is not handed out. */
	if (EVP_DecryptFinal_ex(ctx, buf + n, &fin) != 1 || (size_t)(n + fin) != ct_len)
		goto out;
	buf[ct_len] = '\0';
	*plain = buf;
	*plain_len = ct_len;
	buf = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (buf != NULL)
		OPENSSL_clear_free(buf, ct_len + 1);
	return rc;
}
