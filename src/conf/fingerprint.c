/*
 * conf/fingerprint: the fingerprint of a configuration's shared part, for
 * fleet mode's drift check (conf.h: conf_shared_fingerprint()).
 *
 * What every node of a fleet must agree on is what decides which
 * certificate is issued by whom: each [ca]'s directory, EAB key id and CAA
 * identities, and each [certificate]'s names, CAs, key type, challenge
 * type, must_staple and profile.  What may differ per node is left out:
 * deploy targets and hooks, verify_addr, http_listen, webroot, the dns
 * hook's path, ca_bundle paths, and every top-level key.  Sections are taken
 * in name order, so reordering a file changes nothing; the EAB HMAC key is
 * hashed in, never printed.
 */
#include "conf/conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static int ca_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct conf_ca *const *)a)->name,
	              (*(const struct conf_ca *const *)b)->name);
}

static int cert_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct conf_cert *const *)a)->name,
	              (*(const struct conf_cert *const *)b)->name);
}

/* Hash "key=value\n"; a NULL value as "key\n" (absent differs from ""). */
static void put(EVP_MD_CTX *ctx, const char *key, const char *value)
{
	EVP_DigestUpdate(ctx, key, strlen(key));
	if (value != NULL) {
		EVP_DigestUpdate(ctx, "=", 1);
		EVP_DigestUpdate(ctx, value, strlen(value) + 1); /* with its NUL: unambiguous */
	}
	EVP_DigestUpdate(ctx, "\n", 1);
}

static void put_list(EVP_MD_CTX *ctx, const char *key, const struct conf_list *l)
{
	size_t i;

	put(ctx, key, NULL);
	for (i = 0; i < l->count; i++)
		put(ctx, "-", l->items[i]);
}

int conf_shared_fingerprint(const struct conf *conf, char out[65])
{
	const struct conf_ca **cas = calloc(conf->ca_count + 1, sizeof(*cas));
	const struct conf_cert **certs = calloc(conf->cert_count + 1, sizeof(*certs));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32];
	unsigned int n = 0;
	char num[32];
	size_t i;
	int rc = -1;

	out[0] = '\0';
	if (cas == NULL || certs == NULL || ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	put(ctx, "holdfast shared configuration", "1");
	for (i = 0; i < conf->ca_count; i++)
		cas[i] = &conf->cas[i];
	for (i = 0; i < conf->cert_count; i++)
		certs[i] = &conf->certs[i];
	qsort(cas, conf->ca_count, sizeof(*cas), ca_cmp);
	qsort(certs, conf->cert_count, sizeof(*certs), cert_cmp);
	for (i = 0; i < conf->ca_count; i++) {
		put(ctx, "[ca]", cas[i]->name);
		put(ctx, "directory", cas[i]->directory);
		put(ctx, "eab_kid", cas[i]->eab_kid);
		put(ctx, "eab_hmac_key", cas[i]->eab_hmac_key);
		put_list(ctx, "caa_identities", &cas[i]->caa_identities);
	}
	for (i = 0; i < conf->cert_count; i++) {
		const struct conf_cert *c = certs[i];
		put(ctx, "[certificate]", c->name);
		put_list(ctx, "names", &c->names);
		put_list(ctx, "cas", &c->cas);
		put(ctx, "key", conf_key_type_name(c->key));
		put(ctx, "challenge", c->challenge == CHALLENGE_DNS_01 ? "dns-01" : "http-01");
		snprintf(num, sizeof(num), "%d %d", c->must_staple, c->profile_required);
		put(ctx, "must_staple profile_required", num);
		put(ctx, "profile", c->profile);
	}
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != sizeof(md))
		goto out;
	for (i = 0; i < sizeof(md); i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(cas);
	free(certs);
	return rc;
}
