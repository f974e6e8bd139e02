/*
 * libFuzzer target for the state files holdfast status reads: the daemon's
 * index (STORE/state/daemon.idx and its journal daemon.idx.log, read by
 * daemon/state_index.c) and the endpoints' breakers (endpoints.json,
 * breaker_load_buffer()).  A daemon killed mid-write, a full disk or a
 * hand edit can leave anything there; status must answer (or report the
 * file) without crashing.
 *
 * The first byte chooses.  Even: the rest is the base, and after its first
 * NUL byte (never in a real index) the journal; both are written to a
 * scratch store and opened with state_index_open(), then every name that
 * starts a line of either is looked up with state_index_find(), and so are
 * names before, between and after them.  A record that parses is formatted
 * and parsed again: the daemon must be able to write what it read, and read
 * back the same.  Odd: the rest is endpoints.json.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acme/breaker.h"
#include "daemon/state_index.h"
#include "store/store.h"

static struct store *scratch;
static char scratch_dir[4096], base_path[4096], journal_path[4096];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* At exit: the scratch store goes. */
static void scratch_remove(void)
{
	store_free(scratch);
	if (scratch_dir[0] != '\0')
		(void)nftw(scratch_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch store under TMPDIR, once per process, removed at exit. */
static int scratch_open(void)
{
	const char *tmp = getenv("TMPDIR");
	char err[256];

	if (scratch != NULL)
		return 0;
	if (snprintf(scratch_dir, sizeof(scratch_dir), "%s/holdfast-fuzz-state-XXXXXX",
	             tmp ? tmp : "/tmp") >= (int)sizeof(scratch_dir) ||
	    mkdtemp(scratch_dir) == NULL)
		return -1;
	atexit(scratch_remove);
	scratch = store_open_dir(scratch_dir, STORE_CREATE, err, sizeof(err));
	if (scratch == NULL ||
	    store_state_path(scratch, STORE_STATE_DAEMON_INDEX, base_path, sizeof(base_path)) !=
	        0 ||
	    store_state_path(scratch, STORE_STATE_DAEMON_JOURNAL, journal_path,
	                     sizeof(journal_path)) != 0)
		return -1;
	return 0;
}

static void file_put(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t at = 0;
	ssize_t n;

	if (fd < 0)
		__builtin_trap();
	while (at < len && (n = write(fd, data + at, len - at)) > 0)
		at += (size_t)n;
	close(fd);
}

/* Formatting what was parsed, and parsing that, gives the same line. */
static void record_round_trip(const struct state_record *r)
{
	static char line[STATE_RECORD_MAX], line2[STATE_RECORD_MAX];
	static struct state_record back;
	int n = state_record_format(r, line, sizeof(line)), n2;

	if (n < 0)
		__builtin_trap(); /* read a record it could not write */
	if (state_record_parse(line, (size_t)n, &back) != 0)
		__builtin_trap(); /* wrote a record it cannot read */
	n2 = state_record_format(&back, line2, sizeof(line2));
	if (n2 != n || memcmp(line, line2, (size_t)n) != 0)
		__builtin_trap();
}

static void lookup(struct state_index *x, const char *name)
{
	static struct state_record r;
	int rc = state_index_find(x, name, &r);

	if (rc == 1) {
		if (strcmp(r.name, name) != 0)
			__builtin_trap(); /* found another certificate's record */
		record_round_trip(&r);
	} else if (rc != 0 && rc != -1) {
		__builtin_trap();
	}
}

/* Look up the first field of every line of p (len bytes) and its neighbours. */
static void lookup_names(struct state_index *x, const uint8_t *p, size_t len)
{
	char name[STATE_NAME_MAX + 2];
	size_t i = 0, n;

	while (i < len) {
		for (n = 0;
		     i + n < len && p[i + n] != ' ' && p[i + n] != '\n' && n < sizeof(name) - 2;
		     n++)
			name[n] = (char)p[i + n];
		name[n] = '\0';
		if (n > 0 && memchr(name, '\0', n) == NULL) {
			lookup(x, name);
			name[n] = '~'; /* just after it */
			name[n + 1] = '\0';
			lookup(x, name);
			name[n - 1]--; /* just before it */
			name[n] = '\0';
			lookup(x, name);
		}
		while (i < len && p[i] != '\n')
			i++;
		i++;
	}
}

static void index_one(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t base_len = nul ? (size_t)(nul - data) : size;
	unsigned long counts[STATE_AUDIT_COUNTS];
	struct state_index *x;
	time_t stopped = 0;

	if (scratch_open() != 0)
		__builtin_trap();
	file_put(base_path, data, base_len);
	if (nul != NULL)
		file_put(journal_path, nul + 1, size - base_len - 1);
	else
		unlink(journal_path);
	x = state_index_open(scratch);
	if (x == NULL)
		return;
	(void)state_index_heartbeat(x, &stopped);
	(void)state_index_audit(x, counts);
	lookup(x, "www");
	lookup_names(x, data, base_len);
	if (nul != NULL)
		lookup_names(x, nul + 1, size - base_len - 1);
	state_index_close(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct breaker b[2];

	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		index_one(data + 1, size - 1);
		return 0;
	}
	memset(b, 0, sizeof(b));
	memcpy(b[0].name, "primary", sizeof("primary"));
	memcpy(b[1].name, "backup", sizeof("backup"));
	if (breaker_load_buffer(data + 1, size - 1, b, 2) == 0 &&
	    (b[0].failures < 0 || b[0].failures > 64 || b[1].failures < 0 || b[1].failures > 64 ||
	     memchr(b[0].last_error, '\0', sizeof(b[0].last_error)) == NULL))
		__builtin_trap();
	return 0;
}
