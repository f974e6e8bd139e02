/*
 * breaker: a circuit breaker per ACME endpoint.
 *
 * An endpoint that fails with an outage (does not resolve, refuses, times
 * out, answers 5xx or 429) is marked down for a backoff that doubles with
 * each consecutive failure (base, 2 base, 4 base ... capped); while down it is
 * skipped and the next endpoint is used at once.  When the backoff has
 * passed the breaker is half-open: exactly one caller may probe it; success
 * closes it (the endpoint is preferred again), failure doubles the backoff.
 * The state survives restarts in the store (STORE_STATE_ENDPOINTS; the issuer
 * loads and saves it with breaker_load_buffer() and breaker_format()).
 */
#ifndef HOLDFAST_BREAKER_H
#define HOLDFAST_BREAKER_H

#include <stddef.h>
#include <time.h>

#define BREAKER_CAP       3600L
#define BREAKER_ERROR_MAX 200

enum breaker_state { BREAKER_UP, BREAKER_DOWN, BREAKER_HALF_OPEN };

struct breaker {
	char name[64];
	int failures;
	time_t down_until;
	int probing; /* a half-open probe is under way (not persisted) */
	char last_error[BREAKER_ERROR_MAX];
};

const char *breaker_state_name(enum breaker_state s);

enum breaker_state breaker_state_at(const struct breaker *b, time_t now);

/* Record an outage at now; base is the first backoff in seconds. */
void breaker_failure(struct breaker *b, time_t now, long base, const char *error);

void breaker_success(struct breaker *b);

/* 1 when a caller may use the endpoint now (up, or the half-open probe not
 * yet taken; taking it sets probing). */
int breaker_acquire(struct breaker *b, time_t now);

/* Load/save an array of breakers as JSON in a file at path (missing file:
 * all up).  0 or -1. */
int breaker_load(const char *path, struct breaker *list, size_t count);
int breaker_save(const char *path, const struct breaker *list, size_t count, time_t now);

/* The same from a buffer and to a new JSON text (free()), or NULL; pure. */
int breaker_load_buffer(const unsigned char *data, size_t len, struct breaker *list, size_t count);
char *breaker_format(const struct breaker *list, size_t count, time_t now);

#endif
