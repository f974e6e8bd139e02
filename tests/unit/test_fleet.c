/* Unit tests for fleet mode's pure parts: sealing keys (store/seal.h), the
 * migration list (store/pg_schema.h), the lease and pull decisions
 * (store/fleet.h), and the fleet configuration keys (conf). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "acme/ari.h"
#include "conf/conf.h"
#include "store/fleet.h"
#include "store/pg_schema.h"
#include "store/seal.h"
#include "tap.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int opens(const unsigned char *key, const unsigned char *aad, size_t aad_len,
                 const unsigned char *blob, size_t len)
{
	unsigned char *plain = NULL;
	size_t plain_len = 0;
	int rc = seal_decrypt(key, aad, aad_len, blob, len, &plain, &plain_len);

	if (plain != NULL)
		OPENSSL_clear_free(plain, plain_len + 1);
	return rc == 0;
}

static void test_seal(void)
{
	unsigned char key[SEAL_KEY_LEN], other[SEAL_KEY_LEN], nonce[SEAL_NONCE_LEN];
	unsigned char aad[SEAL_AAD_MAX], aad2[SEAL_AAD_MAX], *a = NULL, *b = NULL, *plain = NULL;
	const char *pt = "-----BEGIN PRIVATE KEY-----\n";
	size_t aad_len, aad2_len, a_len = 0, b_len = 0, plain_len = 0, i;
	char got[256];
	int all_refused = 1;

	for (i = 0; i < SEAL_KEY_LEN; i++) {
		key[i] = (unsigned char)i;
		other[i] = (unsigned char)i;
	}
	other[31] ^= 1;
	for (i = 0; i < SEAL_NONCE_LEN; i++)
		nonce[i] = (unsigned char)(100 + i);
	aad_len = seal_aad_set("www", 7, aad, sizeof(aad));
	CHECK(aad_len == 5 && memcmp(aad,
	                             "www\0"
	                             "7",
	                             5) == 0,
	      "aad: name NUL version");
	CHECK(seal_aad_set("", 1, aad2, sizeof(aad2)) == 0, "aad: an empty name is refused");
	CHECK(seal_aad_set("www", 1, aad2, 4) == 0, "aad: too small a buffer is refused");

	/* Known answer, computed with Python's cryptography (AESGCM), so that
	 * the EVP calls are the standard construction and the layout is
	 * magic | nonce | ciphertext | tag. */
	CHECK(seal_encrypt_with_nonce(key, nonce, aad, aad_len, (const unsigned char *)pt,
	                              strlen(pt), &a, &a_len) == 0,
	      "seal with a fixed nonce");
	CHECK(a_len == strlen(pt) + SEAL_OVERHEAD, "sealed length is plain + 32");
	CHECK(a != NULL && memcmp(a, "HFS1", 4) == 0 && memcmp(a + 4, nonce, 12) == 0,
	      "blob starts with the magic and the nonce");
	if (a != NULL && a_len < 120)
		hex(a + 16, a_len - 16, got);
	else
		got[0] = '\0';
	CHECK(strcmp(got, "6536f34b54ab13d9772c7fb8882c3cbc16872641ce35de5f8afc81428ad0d5fa54ac2c50"
	                  "47fdfe63ed2da0a3") == 0,
	      "AES-256-GCM known answer (ciphertext and tag)");
	CHECK(seal_decrypt(key, aad, aad_len, a, a_len, &plain, &plain_len) == 0 &&
	          plain_len == strlen(pt) && memcmp(plain, pt, plain_len) == 0 &&
	          plain[plain_len] == '\0',
	      "opens to the plaintext, NUL-terminated");
	OPENSSL_clear_free(plain, plain_len + 1);
	plain = NULL;

	/* Tampering anywhere is refused: every byte of the blob in turn. */
	for (i = 0; a != NULL && i < a_len; i++) {
		a[i] ^= 0x01;
		if (opens(key, aad, aad_len, a, a_len))
			all_refused = 0;
		a[i] ^= 0x01;
	}
	CHECK(all_refused,
	      "tamper: a flipped bit in any byte (magic, nonce, data, tag) is refused");
	CHECK(!opens(key, aad, aad_len, a, a_len - 1), "tamper: a truncated blob is refused");
	CHECK(!opens(key, aad, aad_len, a, SEAL_OVERHEAD),
	      "tamper: a blob with no data is refused");
	aad2_len = seal_aad_set("www", 8, aad2, sizeof(aad2));
	CHECK(!opens(key, aad2, aad2_len, a, a_len), "wrong aad: another version is refused");
	aad2_len = seal_aad_set("ww", 7, aad2, sizeof(aad2));
	CHECK(!opens(key, aad2, aad2_len, a, a_len), "wrong aad: another name is refused");
	CHECK(!opens(key, NULL, 0, a, a_len), "wrong aad: none is refused");
	CHECK(!opens(other, aad, aad_len, a, a_len), "wrong key: refused");
	CHECK(opens(key, aad, aad_len, a, a_len), "the untouched blob still opens");

	/* Random nonces: two seals of the same key differ, both open. */
	free(a);
	a = NULL;
	CHECK(seal_encrypt(key, aad, aad_len, (const unsigned char *)pt, strlen(pt), &a, &a_len) ==
	              0 &&
	          seal_encrypt(key, aad, aad_len, (const unsigned char *)pt, strlen(pt), &b,
	                       &b_len) == 0,
	      "seal twice with random nonces");
	CHECK(a != NULL && b != NULL && memcmp(a + 4, b + 4, SEAL_NONCE_LEN) != 0,
	      "two seals have different nonces");
	CHECK(opens(key, aad, aad_len, a, a_len) && opens(key, aad, aad_len, b, b_len),
	      "both open");
	CHECK(a != NULL && memmem(a, a_len, "PRIVATE", 7) == NULL,
	      "the sealed blob does not contain the plaintext");
	free(a);
	free(b);
	CHECK(seal_encrypt(key, aad, aad_len, (const unsigned char *)pt, 0, &a, &a_len) == -1 &&
	          a == NULL,
	      "nothing to seal is refused");
}

static void test_migrations(void)
{
	size_t count, i;
	const struct pg_migration *list = pg_schema_migrations(&count);
	char why[256];
	struct pg_migration bad[2] = {{1, "one", "SELECT 1"}, {3, "three", "SELECT 3"}};
	int has_fence = 0, has_key_column = 0;

	CHECK(pg_schema_list_check(list, count, why, sizeof(why)) == 0,
	      "the shipped migration list is valid (1, 2, ... each with name and SQL)");
	CHECK(pg_schema_list_check(bad, 2, why, sizeof(why)) == -1 && strstr(why, "version 3"),
	      "a gap in the versions is refused");
	bad[1].version = 2;
	bad[1].sql = "";
	CHECK(pg_schema_list_check(bad, 2, why, sizeof(why)) == -1,
	      "an empty migration is refused");
	CHECK(pg_schema_list_check(bad, 0, why, sizeof(why)) == -1, "an empty list is refused");
	bad[0].version = 0;
	CHECK(pg_schema_list_check(bad, 1, why, sizeof(why)) == -1, "version 0 is refused");
	CHECK(pg_schema_first_pending(list, count, 0) == 0, "empty database: everything pending");
	CHECK(pg_schema_first_pending(list, count, list[count - 1].version) == (long)count,
	      "up to date: nothing pending (a rerun is a no-op)");
	CHECK(pg_schema_first_pending(list, count, list[count - 1].version + 1) == -1,
	      "a newer schema than this holdfast knows is refused");
	CHECK(pg_schema_first_pending(list, count, -1) == -1, "a negative version is refused");
	for (i = 0; i < count; i++) {
		if (strstr(list[i].sql, "FUNCTION holdfast_fence") &&
		    strstr(list[i].sql, "BEFORE INSERT OR UPDATE"))
			has_fence = 1;
		if (strstr(list[i].sql, "key_sealed bytea"))
			has_key_column = 1;
		CHECK(strstr(list[i].sql, "BEGIN;") == NULL &&
		          strstr(list[i].sql, "COMMIT") == NULL,
		      "a migration does not manage its own transaction");
	}
	CHECK(has_fence, "the schema has the fencing trigger");
	CHECK(has_key_column, "keys are stored sealed (bytea), no clear key column");
}

static void test_leases(void)
{
	struct fleet_lease none = {0}, l = {1, "a", 1000, 7}, released = {1, "", 1000, 7};

	CHECK(fleet_lease_state_of(&none, "a", 500) == FLEET_LEASE_FREE, "no row: free");
	CHECK(fleet_lease_state_of(&released, "a", 500) == FLEET_LEASE_FREE, "released: free");
	CHECK(fleet_lease_state_of(&l, "a", 999) == FLEET_LEASE_HELD_OURS, "held by us");
	CHECK(fleet_lease_state_of(&l, "b", 999) == FLEET_LEASE_HELD_OTHER, "held by another");
	CHECK(fleet_lease_state_of(&l, "b", 1000) == FLEET_LEASE_EXPIRED,
	      "expired at expires_at exactly");
	CHECK(fleet_lease_may_acquire(&none, "b", 0) && fleet_lease_may_acquire(&released, "b", 0),
	      "free: may acquire");
	CHECK(!fleet_lease_may_acquire(&l, "b", 999), "held by another: may not acquire");
	CHECK(!fleet_lease_may_acquire(&l, "a", 999), "held by us: renew, not acquire");
	CHECK(fleet_lease_may_acquire(&l, "b", 1001), "expired: may acquire");
	CHECK(fleet_lease_next_token(&none) == 1, "first token is 1");
	CHECK(fleet_lease_next_token(&l) == 8 && fleet_lease_next_token(&released) == 8,
	      "the token only grows, also after a release");
	CHECK(fleet_lease_write_check(&l, "a", 7, 999) == FLEET_WRITE_OK,
	      "write: current token ok");
	CHECK(fleet_lease_write_check(&l, "a", 6, 999) == FLEET_WRITE_STALE_TOKEN,
	      "write: an older token is stale");
	CHECK(fleet_lease_write_check(&l, "b", 7, 999) == FLEET_WRITE_NOT_HOLDER,
	      "write: the token of another node's lease is refused");
	CHECK(fleet_lease_write_check(&l, "a", 7, 1000) == FLEET_WRITE_EXPIRED,
	      "write: an expired lease is refused");
	CHECK(fleet_lease_write_check(&released, "a", 7, 10) == FLEET_WRITE_NO_LEASE,
	      "write: after release is refused");
	CHECK(fleet_lease_write_check(&none, "a", 1, 10) == FLEET_WRITE_NO_LEASE,
	      "write: never leased is refused");
	CHECK(fleet_lease_renew_at(1060, 60) == 1040, "renew once a third of the ttl is left");
	CHECK(strcmp(fleet_write_check_name(FLEET_WRITE_STALE_TOKEN), "stale-token") == 0 &&
	          strcmp(fleet_lease_state_name(FLEET_LEASE_HELD_OTHER), "held-other") == 0,
	      "names");
}

static void test_pull(void)
{
	struct fleet_set_id none = {0}, old = {1, 1000, "aa"}, newer = {1, 2000, "bb"},
	                    same_time = {1, 1000, "cc"}, old_again = {1, 1000, "aa"};

	CHECK(fleet_pull_decide(&old, &none) == FLEET_PULL_NONE, "nothing in the database");
	CHECK(fleet_pull_decide(&none, &old) == FLEET_PULL_INSTALL, "nothing local: install");
	CHECK(fleet_pull_decide(&old, &newer) == FLEET_PULL_INSTALL, "database newer: install");
	CHECK(fleet_pull_decide(&newer, &old) == FLEET_PULL_LOCAL_NEWER,
	      "local newer: never replaced by an older set");
	CHECK(fleet_pull_decide(&old, &old_again) == FLEET_PULL_SAME, "same set: nothing to do");
	CHECK(fleet_pull_decide(&old, &same_time) == FLEET_PULL_CONFLICT,
	      "different set, same notBefore: conflict (local kept)");
	{
		struct fleet_set_id placeholder = {1, 3000, "pp", 1},
		                    db_placeholder = {1, 3000, "qq", 1};
		CHECK(fleet_pull_decide(&placeholder, &old) == FLEET_PULL_INSTALL,
		      "a real set replaces a local placeholder, even one with a later notBefore");
		CHECK(fleet_pull_decide(&old, &db_placeholder) == FLEET_PULL_LOCAL_NEWER,
		      "a placeholder never replaces a real set");
		CHECK(fleet_pull_decide(&placeholder, &placeholder) == FLEET_PULL_SAME,
		      "the same placeholder: nothing to do");
	}
}

/* A file of n bytes with mode in dir; its path in out. */
static void key_file(const char *dir, const char *name, size_t n, mode_t mode, char *out,
                     size_t len)
{
	FILE *f;
	size_t i;

	snprintf(out, len, "%s/%s", dir, name);
	f = fopen(out, "w");
	for (i = 0; f != NULL && i < n; i++)
		fputc((int)(i * 7 + 1), f);
	if (f != NULL)
		fclose(f);
	chmod(out, mode);
}

static struct conf *parse(const char *text, char *err)
{
	err[0] = '\0';
	return conf_load_buffer("t.conf", text, strlen(text), err, CONF_ERROR_MAX);
}

static void test_conf(void)
{
	char dir[] = "/tmp/hf-test-fleet.XXXXXX", good[300], loose[300], shortk[300];
	char text[2048], err[CONF_ERROR_MAX], want[1024], label[1200];
	struct conf *c;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return;
	}
	key_file(dir, "good.key", 32, 0600, good, sizeof(good));
	key_file(dir, "loose.key", 32, 0644, loose, sizeof(loose));
	key_file(dir, "short.key", 16, 0600, shortk, sizeof(shortk));

	c = parse("store = /srv/hf\n", err);
	CHECK(c != NULL && c->database == NULL && c->node == NULL && c->store_key == NULL,
	      "no database: fleet mode off, nothing set");
	conf_free(c);

	snprintf(text, sizeof(text),
	         "store = /srv/hf\ndatabase = postgresql:///hf?host=/run/pg\nnode = web1\n"
	         "store_key = %s\n",
	         good);
	c = parse(text, err);
	CHECK(c != NULL && strcmp(c->database, "postgresql:///hf?host=/run/pg") == 0 &&
	          strcmp(c->node, "web1") == 0 && strcmp(c->store_key, good) == 0 &&
	          c->lease_ttl == 60,
	      "database, node, store_key; lease_ttl defaults to 60s");
	conf_free(c);

	snprintf(text, sizeof(text),
	         "store = /srv/hf\ndatabase = dbname=hf\nstore_key = %s\nlease_ttl = 2m\n", good);
	c = parse(text, err);
	CHECK(c != NULL && c->node != NULL && c->node[0] != '\0' && c->lease_ttl == 120,
	      "node defaults to the host name; lease_ttl = 2m");
	conf_free(c);

	snprintf(text, sizeof(text), "store = /srv/hf\ndatabase = dbname=hf\nstore_key = %s\n",
	         loose);
	c = parse(text, err);
	snprintf(want, sizeof(want), "t.conf:3: key \"store_key\": %s: mode 0644", loose);
	snprintf(label, sizeof(label), "a store_key readable by others is refused: %s", err);
	CHECK(c == NULL && strncmp(err, want, strlen(want)) == 0, label);
	conf_free(c);

	snprintf(text, sizeof(text), "store = /srv/hf\ndatabase = dbname=hf\nstore_key = %s\n",
	         shortk);
	c = parse(text, err);
	snprintf(want, sizeof(want), "t.conf:3: key \"store_key\": %s: 16 bytes", shortk);
	CHECK(c == NULL && strncmp(err, want, strlen(want)) == 0,
	      "a store_key that is not 32 bytes is refused");
	conf_free(c);

	c = parse("store = /srv/hf\ndatabase = dbname=hf\n", err);
	CHECK(c == NULL &&
	          strncmp(err, "t.conf:2: key \"database\": fleet mode needs store_key", 40) == 0,
	      "database without store_key is refused");
	conf_free(c);

	snprintf(text, sizeof(text), "database = dbname=hf\nstore_key = %s\n", good);
	c = parse(text, err);
	CHECK(c == NULL && strstr(err, "t.conf:1: key \"database\": fleet mode needs an explicit "
	                               "store") == err,
	      "database without an explicit store is refused");
	conf_free(c);

	snprintf(text, sizeof(text), "store = /srv/hf\nstore_key = %s\n", good);
	c = parse(text, err);
	CHECK(c == NULL && strcmp(err, "t.conf:2: key \"store_key\": is for fleet mode: no "
	                               "database = is configured") == 0,
	      "store_key without database is refused");
	conf_free(c);

	c = parse("store = /srv/hf\ndatabase = dbname=hf\nnode = web 1\n", err);
	CHECK(c == NULL && strstr(err, "t.conf:3: key \"node\"") == err, "a bad node name");
	conf_free(c);

	snprintf(text, sizeof(text),
	         "store = /srv/hf\ndatabase = dbname=hf\nstore_key = %s\nlease_ttl = 1s\n", good);
	c = parse(text, err);
	CHECK(c == NULL && strstr(err, "t.conf:4: key \"lease_ttl\"") == err,
	      "lease_ttl below 5s is refused");
	conf_free(c);

	unlink(good);
	unlink(loose);
	unlink(shortk);
	rmdir(dir);
}

/* The outage rule and the staple wait (fleet.h). */
static void test_outage_rules(void)
{
	const time_t nb = 1000000, na = nb + 90 * 86400, margin = 7 * 86400;
	char name[16];

	CHECK(fleet_issue_alone(0, 0, renew_deadline(0, 0, margin), nb) == 1,
	      "no certificate: issue alone");
	CHECK(fleet_issue_alone(1, 1, renew_deadline(nb, na, margin), nb + 1) == 1,
	      "a placeholder: issue alone");
	CHECK(fleet_issue_alone(1, 0, renew_deadline(nb, na, margin), na - margin - 1) == 0,
	      "due but before the renewal deadline: wait for the database");
	CHECK(fleet_issue_alone(1, 0, renew_deadline(nb, na, margin), na - margin) == 1,
	      "at the renewal deadline: issue alone");
	/* A 6-day certificate: the margin is at most half its lifetime. */
	CHECK(fleet_issue_alone(1, 0, renew_deadline(nb, nb + 6 * 86400, margin),
	                        nb + 3 * 86400 - 1) == 0,
	      "6-day certificate: waits until half its lifetime");
	CHECK(fleet_issue_alone(1, 0, renew_deadline(nb, nb + 6 * 86400, margin), nb + 3 * 86400) ==
	          1,
	      "6-day certificate: alone from half its lifetime");

	CHECK(fleet_staple_wait(0, 0, 60, nb) == 1,
	      "nothing served: wait for the holder (bounded by its lease)");
	CHECK(fleet_staple_wait(1, nb + 121, 60, nb) == 1, "servable for more than 2 ttl: wait");
	CHECK(fleet_staple_wait(1, nb + 120, 60, nb) == 0, "2 ttl or less left: fetch alone");
	CHECK(fleet_staple_wait(1, nb + 86400, 0, nb) == 0, "no ttl: never wait");

	CHECK(fleet_staple_lease_name("www", name, sizeof(name)) == 0 &&
	          strcmp(name, "ocsp:www") == 0,
	      "the staple lease's name");
	CHECK(fleet_staple_lease_name("a-very-long-name", name, sizeof(name)) == -1,
	      "a staple lease name that does not fit is refused");
}

/* conf_shared_fingerprint: the shared sections only, in any order. */
static void test_fingerprint(void)
{
	static const char base[] =
	    "store = /srv/a\n"
	    "[ca one]\ndirectory = https://one.test/dir\n"
	    "[ca two]\ndirectory = https://two.test/dir\n"
	    "[certificate www]\nnames = www.test\ncas = one two\nwebroot = /w\n"
	    "[certificate api]\nnames = api.test\ncas = two\nwebroot = /w\n";
	static const char reordered[] =
	    "store = /srv/b\nmetrics_listen = 127.0.0.1:9\n"
	    "[ca two]\ndirectory = https://two.test/dir\n"
	    "[ca one]\ndirectory = https://one.test/dir\n"
	    "[certificate api]\nnames = api.test\ncas = two\n"
	    "webroot = /other\ndeploy = nginx\nverify_addr = 127.0.0.1:443\n"
	    "[certificate www]\nnames = www.test\ncas = one two\nwebroot = /w\n";
	static const char other_cas[] =
	    "store = /srv/a\n"
	    "[ca one]\ndirectory = https://one.test/dir\n"
	    "[ca two]\ndirectory = https://two.test/dir\n"
	    "[certificate www]\nnames = www.test\ncas = two one\nwebroot = /w\n"
	    "[certificate api]\nnames = api.test\ncas = two\nwebroot = /w\n";
	static const char other_dir[] =
	    "store = /srv/a\n"
	    "[ca one]\ndirectory = https://one.test/v2\n"
	    "[ca two]\ndirectory = https://two.test/dir\n"
	    "[certificate www]\nnames = www.test\ncas = one two\nwebroot = /w\n"
	    "[certificate api]\nnames = api.test\ncas = two\nwebroot = /w\n";
	const char *texts[] = {base, reordered, other_cas, other_dir};
	char fp[4][65], err[CONF_ERROR_MAX];
	int i, ok = 1;

	for (i = 0; i < 4; i++) {
		struct conf *c = parse(texts[i], err);
		if (c == NULL || conf_shared_fingerprint(c, fp[i]) != 0 || strlen(fp[i]) != 64) {
			ok = 0;
			printf("# config %d: %s\n", i, err);
		}
		conf_free(c);
	}
	CHECK(ok, "four configurations fingerprinted");
	CHECK(ok && strcmp(fp[0], fp[1]) == 0,
	      "section order, store, deploy, verify_addr and top-level keys do not count");
	CHECK(ok && strcmp(fp[0], fp[2]) != 0, "the order of cas counts");
	CHECK(ok && strcmp(fp[0], fp[3]) != 0, "a CA's directory counts");
}

int main(void)
{
	test_outage_rules();
	test_fingerprint();
	test_seal();
	test_migrations();
	test_leases();
	test_pull();
	test_conf();
	return tap_done();
}
