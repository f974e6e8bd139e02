/*
 * meta: struct cert_meta, what meta.json says about one certificate set, and
 * its JSON (the schema is documented: README, holdfast(1); the keys never
 * change).  Pure: no I/O.
 *
 *   name, placeholder, names[], key        always written
 *   ca, directory, serial                  string (ca: null for a placeholder)
 *   not_before, not_after, renew_at        "YYYY-MM-DDTHH:MM:SSZ" or null
 *   last_attempt, last_error, replaced     time / string / the certID replaced
 *   revoked, revoked_at                    after holdfast revoke
 *   ari {start, end, retry_after, explanation_url, cert_id}   or null
 *
 * A key is written when its field has a value or when the key was present in
 * the document read (or is marked present, for an explicit null), so a
 * read-modify-write keeps the document's keys, and unknown keys are kept as
 * they were (extra).  Times that do not parse read as 0.
 */
#ifndef HOLDFAST_STORE_META_H
#define HOLDFAST_STORE_META_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* Keys that may be absent; bits of cert_meta.present. */
enum cert_meta_key {
	CERT_META_CA = 1u << 0,
	CERT_META_DIRECTORY = 1u << 1,
	CERT_META_SERIAL = 1u << 2,
	CERT_META_NOT_BEFORE = 1u << 3,
	CERT_META_NOT_AFTER = 1u << 4,
	CERT_META_RENEW_AT = 1u << 5,
	CERT_META_LAST_ATTEMPT = 1u << 6,
	CERT_META_LAST_ERROR = 1u << 7,
	CERT_META_REPLACED = 1u << 8,
	CERT_META_REVOKED = 1u << 9,
	CERT_META_REVOKED_AT = 1u << 10,
	CERT_META_ARI = 1u << 11,
};

/* The ACME Renewal Information window the issuing CA gave (RFC 9773). */
struct cert_meta_ari {
	time_t start, end, retry_after; /* 0: null */
	char *explanation_url;          /* NULL: null */
	char *cert_id;
};

struct cert_meta {
	char *name;
	int placeholder;
	char **names;
	size_t name_count;
	char *key; /* key type, conf_key_type_name() */
	char *ca;  /* NULL: null */
	char *directory;
	char *serial;
	time_t not_before, not_after, renew_at, last_attempt; /* 0: null */
	char *last_error;
	char *replaced;
	int revoked;
	time_t revoked_at;
	int has_ari; /* 1: ari is an object; 0: null or absent */
	struct cert_meta_ari ari;
	unsigned present; /* enum cert_meta_key: written even when null */
	json_t *extra;    /* keys this version does not know, kept as read */
};

/* An empty meta (every field 0 / NULL).  New (cert_meta_free), or NULL. */
struct cert_meta *cert_meta_new(void);
void cert_meta_free(struct cert_meta *m);

/* A new copy of m, or NULL. */
struct cert_meta *cert_meta_dup(const struct cert_meta *m);

/* Parse meta.json (len bytes).  New, or NULL with errno EBADMSG (not a JSON
 * object) or ENOMEM. */
struct cert_meta *cert_meta_parse(const char *json, size_t len);

/* meta.json for m (JSON_INDENT(2) | JSON_SORT_KEYS, as before).  New
 * NUL-terminated string (free()), or NULL. */
char *cert_meta_format(const struct cert_meta *m);

/* m as a JSON object (json_decref), or NULL. */
json_t *cert_meta_to_json(const struct cert_meta *m);

/* Replace the string *field with a copy of value (NULL: null).  0 or -1. */
int cert_meta_set(char **field, const char *value);

/* Replace the names with a copy of names[0..count).  0 or -1. */
int cert_meta_set_names(struct cert_meta *m, char *const *names, size_t count);

/* Clear the ari object (written as null when CERT_META_ARI is present). */
void cert_meta_ari_clear(struct cert_meta *m);

#endif
