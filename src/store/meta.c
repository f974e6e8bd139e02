/*
 * meta: struct cert_meta <-> meta.json; see meta.h for the schema.
 */

#include "store/meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

/* The optional string keys, by field offset. */
static const struct {
	const char *key;
	unsigned bit;
	size_t offset;
} string_keys[] = {
    {"ca", CERT_META_CA, offsetof(struct cert_meta, ca)},
    {"directory", CERT_META_DIRECTORY, offsetof(struct cert_meta, directory)},
    {"serial", CERT_META_SERIAL, offsetof(struct cert_meta, serial)},
    {"last_error", CERT_META_LAST_ERROR, offsetof(struct cert_meta, last_error)},
    {"replaced", CERT_META_REPLACED, offsetof(struct cert_meta, replaced)},
};

/* The optional time keys. */
static const struct {
	const char *key;
	unsigned bit;
	size_t offset;
} time_keys[] = {
    {"not_before", CERT_META_NOT_BEFORE, offsetof(struct cert_meta, not_before)},
    {"not_after", CERT_META_NOT_AFTER, offsetof(struct cert_meta, not_after)},
    {"renew_at", CERT_META_RENEW_AT, offsetof(struct cert_meta, renew_at)},
    {"last_attempt", CERT_META_LAST_ATTEMPT, offsetof(struct cert_meta, last_attempt)},
    {"revoked_at", CERT_META_REVOKED_AT, offsetof(struct cert_meta, revoked_at)},
};

/* Every key this module knows (the rest goes to extra). */
static const char *const known_keys[] = {
    "name",     "placeholder", "names",      "key",      "ca",           "directory",
    "serial",   "not_before",  "not_after",  "renew_at", "last_attempt", "last_error",
    "replaced", "revoked",     "revoked_at", "ari",
};

#define FIELD(m, type, offset) ((type *)(void *)((char *)(m) + (offset)))

static int key_known(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (strcmp(key, known_keys[i]) == 0)
			return 1;
	return 0;
}

/* A time value: its string parsed, 0 for null or anything else. */
static time_t time_of(const json_t *v)
{
	const char *s = json_string_value(v);
	time_t t = 0;

	if (s == NULL || time_parse(s, &t) != 0)
		return 0;
	return t;
}

/* A new JSON string for t, or null for 0. */
static json_t *time_json(time_t t)
{
	char buf[32];

	return t ? json_string(time_format(buf, sizeof(buf), t)) : json_null();
}

/* A new JSON string for s, or null for NULL. */
static json_t *string_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

int cert_meta_set(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && (copy = strdup(value)) == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

int cert_meta_set_names(struct cert_meta *m, char *const *names, size_t count)
{
	char **copy = calloc(count ? count : 1, sizeof(*copy));
	size_t i;

	if (copy == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		copy[i] = strdup(names[i]);
		if (copy[i] == NULL) {
			while (i > 0)
				free(copy[--i]);
			free(copy);
			return -1;
		}
	}
	for (i = 0; i < m->name_count; i++)
		free(m->names[i]);
	free(m->names);
	m->names = copy;
	m->name_count = count;
	return 0;
}

void cert_meta_ari_clear(struct cert_meta *m)
{
	free(m->ari.explanation_url);
	free(m->ari.cert_id);
	memset(&m->ari, 0, sizeof(m->ari));
	m->has_ari = 0;
}

struct cert_meta *cert_meta_new(void)
{
	return calloc(1, sizeof(struct cert_meta));
}

void cert_meta_free(struct cert_meta *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->name);
	for (i = 0; i < m->name_count; i++)
		free(m->names[i]);
	free(m->names);
	free(m->key);
	for (i = 0; i < sizeof(string_keys) / sizeof(string_keys[0]); i++)
		free(*FIELD(m, char *, string_keys[i].offset));
	cert_meta_ari_clear(m);
	json_decref(m->extra);
	free(m);
}

/* Fill m from the object root; 0 or -1 (no memory). */
static int meta_from_json(struct cert_meta *m, json_t *root)
{
	const char *key;
	json_t *v, *ari;
	size_t i;

	if (cert_meta_set(&m->name, json_string_value(json_object_get(root, "name"))) != 0 ||
	    cert_meta_set(&m->key, json_string_value(json_object_get(root, "key"))) != 0)
		return -1;
	m->placeholder = json_is_true(json_object_get(root, "placeholder"));
	v = json_object_get(root, "names");
	if (json_is_array(v)) {
		m->names = calloc(json_array_size(v) + 1, sizeof(*m->names));
		if (m->names == NULL)
			return -1;
		for (i = 0; i < json_array_size(v); i++) {
			const char *s = json_string_value(json_array_get(v, i));
			if (s != NULL && (m->names[m->name_count++] = strdup(s)) == NULL)
				return -1;
		}
	}
	for (i = 0; i < sizeof(string_keys) / sizeof(string_keys[0]); i++) {
		v = json_object_get(root, string_keys[i].key);
		if (v == NULL)
			continue;
		m->present |= string_keys[i].bit;
		if (cert_meta_set(FIELD(m, char *, string_keys[i].offset), json_string_value(v)) !=
		    0)
			return -1;
	}
	for (i = 0; i < sizeof(time_keys) / sizeof(time_keys[0]); i++) {
		v = json_object_get(root, time_keys[i].key);
		if (v == NULL)
			continue;
		m->present |= time_keys[i].bit;
		*FIELD(m, time_t, time_keys[i].offset) = time_of(v);
	}
	if ((v = json_object_get(root, "revoked")) != NULL) {
		m->present |= CERT_META_REVOKED;
		m->revoked = json_is_true(v);
	}
	if ((ari = json_object_get(root, "ari")) != NULL) {
		m->present |= CERT_META_ARI;
		if (json_is_object(ari)) {
			m->has_ari = 1;
			m->ari.start = time_of(json_object_get(ari, "start"));
			m->ari.end = time_of(json_object_get(ari, "end"));
			m->ari.retry_after = time_of(json_object_get(ari, "retry_after"));
			if (cert_meta_set(
			        &m->ari.explanation_url,
			        json_string_value(json_object_get(ari, "explanation_url"))) != 0 ||
			    cert_meta_set(&m->ari.cert_id,
			                  json_string_value(json_object_get(ari, "cert_id"))) != 0)
				return -1;
		}
	}
	json_object_foreach(root, key, v)
	{
		if (key_known(key))
			continue;
		if (m->extra == NULL && (m->extra = json_object()) == NULL)
			return -1;
		if (json_object_set(m->extra, key, v) != 0)
			return -1;
	}
	return 0;
}

struct cert_meta *cert_meta_parse(const char *json, size_t len)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	struct cert_meta *m = NULL;

	if (!json_is_object(root)) {
		json_decref(root);
		errno = EBADMSG;
		return NULL;
	}
	m = cert_meta_new();
	if (m == NULL || meta_from_json(m, root) != 0) {
		cert_meta_free(m);
		m = NULL;
		errno = ENOMEM;
	}
	json_decref(root);
	return m;
}

json_t *cert_meta_to_json(const struct cert_meta *m)
{
	json_t *root = m->extra ? json_copy(m->extra) : json_object();
	json_t *names = json_array();
	int bad = root == NULL || names == NULL;
	size_t i;

	for (i = 0; !bad && i < m->name_count; i++)
		bad = json_array_append_new(names, json_string(m->names[i])) != 0;
	if (!bad)
		bad = json_object_set_new(root, "name", string_json(m->name)) != 0 ||
		      json_object_set_new(root, "placeholder", json_boolean(m->placeholder)) != 0 ||
		      json_object_set(root, "names", names) != 0 ||
		      json_object_set_new(root, "key", string_json(m->key)) != 0;
	json_decref(names);
	for (i = 0; !bad && i < sizeof(string_keys) / sizeof(string_keys[0]); i++) {
		const char *s = *FIELD(m, char *const, string_keys[i].offset);
		if (s != NULL || (m->present & string_keys[i].bit))
			bad = json_object_set_new(root, string_keys[i].key, string_json(s)) != 0;
	}
	for (i = 0; !bad && i < sizeof(time_keys) / sizeof(time_keys[0]); i++) {
		time_t t = *FIELD(m, const time_t, time_keys[i].offset);
		if (t != 0 || (m->present & time_keys[i].bit))
			bad = json_object_set_new(root, time_keys[i].key, time_json(t)) != 0;
	}
	if (!bad && (m->revoked || (m->present & CERT_META_REVOKED)))
		bad = json_object_set_new(root, "revoked", json_boolean(m->revoked)) != 0;
	if (!bad && m->has_ari) {
		json_t *ari = json_object();
		bad = ari == NULL ||
		      json_object_set_new(ari, "start", time_json(m->ari.start)) != 0 ||
		      json_object_set_new(ari, "end", time_json(m->ari.end)) != 0 ||
		      json_object_set_new(ari, "retry_after", time_json(m->ari.retry_after)) != 0 ||
		      json_object_set_new(ari, "explanation_url",
		                          string_json(m->ari.explanation_url)) != 0 ||
		      json_object_set_new(ari, "cert_id", string_json(m->ari.cert_id)) != 0;
		if (json_object_set_new(root, "ari", ari) != 0)
			bad = 1;
	} else if (!bad && (m->present & CERT_META_ARI)) {
		bad = json_object_set_new(root, "ari", json_null()) != 0;
	}
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

char *cert_meta_format(const struct cert_meta *m)
{
	json_t *root = cert_meta_to_json(m);
	char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

	json_decref(root);
	return text;
}

struct cert_meta *cert_meta_dup(const struct cert_meta *m)
{
	char *text = cert_meta_format(m);
	struct cert_meta *copy = text ? cert_meta_parse(text, strlen(text)) : NULL;

	if (copy != NULL)
		copy->present |= m->present;
	free(text);
	return copy;
}
