/* b64url: see b64url.h. */
#include "util/b64url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

char *b64url_new(const unsigned char *data, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1, i, n;
	char *out = malloc(cap);

	if (out == NULL || len > 0x3fffffff) {
		free(out);
		return NULL;
	}
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	return out;
}

int b64url_decode_new(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), padded = (n + 3) / 4 * 4, i;
	unsigned char *tmp = NULL, *res = NULL;
	int dec;

	*out = NULL;
	*len = 0;
	if (n % 4 == 1 || n > 0x3fffffff)
		return -1;
	tmp = malloc(padded + 1);
	res = malloc(padded + 1);
	if (tmp == NULL || res == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '+' || c == '/' || c == '=')
			goto fail; /* not base64url */
		tmp[i] = (unsigned char)c;
	}
	for (; i < padded; i++)
		tmp[i] = '=';
	dec = EVP_DecodeBlock(res, tmp, (int)padded);
	if (dec < 0)
		goto fail;
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	dec -= (int)(padded - n);
	free(tmp);
	*out = res;
	*len = (size_t)dec;
	return 0;
fail:
	free(tmp);
	free(res);
	return -1;
}
