

#include "acme/breaker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/atomic.h"
#include "util/log.h"
#include "util/timeutil.h"

#define BREAKER_FILE_MAX (1024 * 1024)

const char *breaker_state_name(enum breaker_state s)
{
	switch (s) {
	case BREAKER_UP:
		return "up";
	case BREAKER_DOWN:
		return "down";
	default:
		return "half-open";
	}
}

enum breaker_state breaker_state_at(const struct breaker *b, time_t now)
{
	if (b->failures == 0)
		return BREAKER_UP;
	return now < b->down_until ? BREAKER_DOWN : BREAKER_HALF_OPEN;
}

void breaker_failure(struct breaker *b, time_t now, long base, const char *error)
{
	long backoff = base > 0 ? base : 1;
	int i;

	for (i = 0; i < b->failures && backoff < BREAKER_CAP; i++)
		backoff *= 2;
	if (backoff > BREAKER_CAP)
		backoff = BREAKER_CAP;
	b->failures++;
	b->down_until = now + backoff;
	b->probing = 0;
	snprintf(b->last_error, sizeof(b->last_error), "%s", error ? error : "");
}

void breaker_success(struct breaker *b)
{
	b->failures = 0;
	b->down_until = 0;
	b->probing = 0;
	b->last_error[0] = '\0';
}

int breaker_acquire(struct breaker *b, time_t now)
{
	switch (breaker_state_at(b, now)) {
	case BREAKER_UP:
		return 1;
	case BREAKER_HALF_OPEN:
		if (b->probing)
			return 0;
		b->probing = 1;
		return 1;
	default:
		return 0;
	}
}

int breaker_load(const char *path, struct breaker *list, size_t count)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc;

	if (store_read_file(path, BREAKER_FILE_MAX, &data, &len) != 0)
		return errno == ENOENT ? 0 : -1;
	rc = breaker_load_buffer(data, len, list, count);
	free(data);
	if (rc != 0)
		log_warn("state_ignored", "file=%s reason=\"not a JSON object\"", path);
	return rc;
}

int breaker_load_buffer(const unsigned char *data, size_t len, struct breaker *list, size_t count)
{
	size_t i;
	json_t *root;
	json_error_t jerr;

	root = json_loadb((const char *)data, len, 0, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	for (i = 0; i < count; i++) {
		json_t *e = json_object_get(root, list[i].name);
		const char *until, *err;
		if (!json_is_object(e))
			continue;
		list[i].failures = (int)json_integer_value(json_object_get(e, "failures"));
		if (list[i].failures < 0 || list[i].failures > 64)
			list[i].failures = 0;
		until = json_string_value(json_object_get(e, "down_until"));
		if (until == NULL || time_parse(until, &list[i].down_until) != 0)
			list[i].down_until = 0;
		err = json_string_value(json_object_get(e, "last_error"));
		snprintf(list[i].last_error, sizeof(list[i].last_error), "%s", err ? err : "");
	}
	json_decref(root);
	return 0;
}

char *breaker_format(const struct breaker *list, size_t count, time_t now)
{
	json_t *root = json_object();
	char *text = NULL, t[32];
	size_t i;

	for (i = 0; root != NULL && i < count; i++) {
		json_object_set_new(
		    root, list[i].name,
		    json_pack("{s:s, s:i, s:s?, s:s?}", "state",
		              breaker_state_name(breaker_state_at(&list[i], now)), "failures",
		              list[i].failures, "down_until",
		              list[i].down_until ? time_format(t, sizeof(t), list[i].down_until)
		                                 : NULL,
		              "last_error", list[i].last_error[0] ? list[i].last_error : NULL));
	}
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return text;
}

int breaker_save(const char *path, const struct breaker *list, size_t count, time_t now)
{
	char *text = breaker_format(list, count, now);
	int rc = -1;

	if (text != NULL)
		rc = store_write_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}
