/*
 * Unit tests for daemon/state_index.c: a record survives format and parse
 * (absent and empty messages, every escaped byte), malformed lines are
 * refused, the daemon.json text of a record is the JSON of
 * state_record_json(), and the reader finds each of 100,000 records of a
 * base in name order and at random, prefers the journal's last line for a
 * name, ignores a torn last journal line and a journal of another gen, and
 * takes the heartbeat from the header and the journal's "@beat"/"@stop".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/state_index.h"
#include "store/store.h"
#include "tap.h"

#define BIG 100000

static void sample(struct state_record *r, const char *name)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->certificate = 1;
	r->staple = 1;
	r->staple_failures = 3;
	r->staple_status = STAPLE_STATUS_GOOD;
	r->next_issue_check = 4070908800;
	r->has_next_staple_refresh = 1;
	r->next_staple_refresh = 1700000100;
	r->staple_this_update = 1699990000;
	r->staple_next_update = 1700090000;
}

static int same(const struct state_record *a, const struct state_record *b)
{
	return strcmp(a->name, b->name) == 0 && a->certificate == b->certificate &&
	       a->deploy_failed == b->deploy_failed && a->issuing == b->issuing &&
	       a->placeholder == b->placeholder && a->staple == b->staple &&
	       a->staple_failures == b->staple_failures && a->staple_status == b->staple_status &&
	       a->next_issue_check == b->next_issue_check &&
	       a->has_next_staple_refresh == b->has_next_staple_refresh &&
	       (!a->has_next_staple_refresh || a->next_staple_refresh == b->next_staple_refresh) &&
	       (!a->staple || (a->staple_this_update == b->staple_this_update &&
	                       a->staple_next_update == b->staple_next_update)) &&
	       a->has_issue_error == b->has_issue_error &&
	       a->has_staple_error == b->has_staple_error &&
	       strcmp(a->issue_error, b->issue_error) == 0 &&
	       strcmp(a->staple_error, b->staple_error) == 0 &&
	       a->has_deploy_at == b->has_deploy_at &&
	       (!a->has_deploy_at || a->deploy_at == b->deploy_at) &&
	       a->has_deploy_targets == b->has_deploy_targets &&
	       strcmp(a->deploy_targets, b->deploy_targets) == 0 && a->verify == b->verify &&
	       a->has_verify_at == b->has_verify_at &&
	       (!a->has_verify_at || a->verify_at == b->verify_at) &&
	       a->has_verify_error == b->has_verify_error &&
	       strcmp(a->verify_error, b->verify_error) == 0;
}

static int round_trip(const struct state_record *r)
{
	char line[STATE_RECORD_MAX];
	struct state_record back;
	int n = state_record_format(r, line, sizeof(line));

	return n > 0 && memchr(line, '\n', (size_t)n) == NULL &&
	       state_record_parse(line, (size_t)n, &back) == 0 && same(r, &back);
}

static void test_format(void)
{
	struct state_record r, back;
	char line[STATE_RECORD_MAX], small[40];
	int n, i;

	sample(&r, "www");
	n = state_record_format(&r, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "www 10001 3 good 4070908800 1700000100 1699990000 "
	                            "1700090000 - - - - - - -") == 0,
	      "format: the documented line");
	CHECK(round_trip(&r), "round trip: a valid staple, no errors");
	r.has_issue_error = 1; /* empty message: not the same as none */
	r.has_staple_error = 1;
	snprintf(r.staple_error, sizeof(r.staple_error), "http://h:80: timeout: a\tb\nc\\d \x7f é");
	n = state_record_format(&r, line, sizeof(line));
	CHECK(n > 0 &&
	          strstr(line, " : :http://h:80:\\x20timeout:\\x20a\\x09b\\x0ac\\x5cd") != NULL,
	      "format: empty message is \":\", bytes escaped as \\xHH");
	CHECK(round_trip(&r), "round trip: empty and escaped messages, UTF-8 kept");
	sample(&r, "a-b_c.D9");
	r.staple = 0;
	r.staple_status = STAPLE_STATUS_NONE;
	r.has_next_staple_refresh = 0;
	r.deploy_failed = r.issuing = r.placeholder = 1;
	r.staple_failures = 0;
	CHECK(round_trip(&r), "round trip: no staple, no responders, flags set");
	r.has_deploy_at = 1;
	r.deploy_at = 1700000500;
	r.has_deploy_targets = 1;
	snprintf(r.deploy_targets, sizeof(r.deploy_targets),
	         "nginx haproxy:/run/h.sock deploy_hook");
	r.verify = STATE_VERIFY_FAILED;
	r.has_verify_at = 1;
	r.verify_at = 1700000510;
	r.has_verify_error = 1;
	snprintf(r.verify_error, sizeof(r.verify_error), "serves another certificate");
	n = state_record_format(&r, line, sizeof(line));
	CHECK(n > 0 &&
	          strstr(line, " 1700000500 :nginx\\x20haproxy:/run/h.sock\\x20deploy_hook "
	                       "failed 1700000510 :serves\\x20another\\x20certificate") != NULL,
	      "format: deploy time, failed targets, verify result, time and error");
	CHECK(round_trip(&r), "round trip: deploy and verify fields");
	for (i = STATE_VERIFY_NONE; i <= STATE_VERIFY_FAILED; i++) {
		r.verify = (enum state_verify)i;
		CHECK(round_trip(&r), i == STATE_VERIFY_NONE      ? "round trip: verify none"
		                      : i == STATE_VERIFY_PENDING ? "round trip: verify pending"
		                      : i == STATE_VERIFY_OK      ? "round trip: verify ok"
		                                                  : "round trip: verify failed");
	}
	r.has_deploy_at = r.has_deploy_targets = r.has_verify_at = r.has_verify_error = 0;
	r.deploy_targets[0] = r.verify_error[0] = '\0';
	r.verify = STATE_VERIFY_NONE;
	r.staple_status = STAPLE_STATUS_REVOKED;
	r.staple = 1;
	for (i = 0; i < STATE_MESSAGE_MAX - 1; i++)
		r.issue_error[i] = (char)(1 + i % 200);
	r.issue_error[STATE_MESSAGE_MAX - 1] = '\0';
	r.has_issue_error = 1;
	memset(r.staple_error, ' ', STATE_MESSAGE_MAX - 1);
	r.staple_error[STATE_MESSAGE_MAX - 1] = '\0';
	r.has_staple_error = 1;
	CHECK(round_trip(&r), "round trip: two longest messages, every byte value 1..200");
	CHECK(state_record_format(&r, small, sizeof(small)) == -1, "format: too small a buffer");
	sample(&r, "bad name");
	CHECK(state_record_format(&r, line, sizeof(line)) == -1,
	      "format: name with a space refused");
	sample(&r, "");
	CHECK(state_record_format(&r, line, sizeof(line)) == -1, "format: empty name refused");

	static const char *const bad[] = {
	    "",
	    "www",
	    "www 10001 3 good 1 2 3 4 - - extra - - - - -",
	    "www 10001 3 good 1 2 3 4 - - - - - -",
	    "www  10001 3 good 1 2 3 4 - - - - - - -",
	    "www 1000 3 good 1 2 3 4 - - - - - - -",
	    "www 10002 3 good 1 2 3 4 - - - - - - -",
	    "www 10001 -3 good 1 2 3 4 - - - - - - -",
	    "www 10001 3 fine 1 2 3 4 - - - - - - -",
	    "www 10001 3 good - 2 3 4 - - - - - - -",
	    "www 10001 3 good 1x 2 3 4 - - - - - - -",
	    "www 10001 3 good 1 2 - 4 - - - - - - -",
	    "www 10000 3 none 1 2 3 4 - - - - - - -",
	    "www 10001 3 good 1 2 3 4 x - - - - - -",
	    "www 10001 3 good 1 2 3 4 :a\\x2 - - - - - -",
	    "www 10001 3 good 1 2 3 4 :a\\y20 - - - - - -",
	    "www 10001 3 good 1 2 3 4 :a\\x00b - - - - - -",
	    "w/w 10001 3 good 1 2 3 4 - - - - - - -",

	    "www 10001 3 good 1 2 3 4 - - - - - - - -",
	    "www 10001 3 good 1 2 3 4 - - x - - - -",
	    "www 10001 3 good 1 2 3 4 - - - nginx - - -",
	    "www 10001 3 good 1 2 3 4 - - - - maybe - -",
	    "www 10001 3 good 1 2 3 4 - - - - ok 1y -",
	    "www 10001 3 good 1 2 3 4 - - - - - - x",
	    "www 10001 3 good 1 2 3 4 - -",
	};
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		char name[80];
		snprintf(name, sizeof(name), "parse: malformed line %d refused", i);
		CHECK(state_record_parse(bad[i], strlen(bad[i]), &back) == -1, name);
	}
	CHECK(state_record_parse("www 10001 3 good -5 - 3 4 - : - - - - -", 39, &back) == 0 &&
	          back.next_issue_check == -5 && !back.has_next_staple_refresh &&
	          back.has_staple_error && back.staple_error[0] == '\0',
	      "parse: negative time, absent refresh, empty message");
}

static void test_headers(void)
{
	struct state_header h, back;
	char line[256];
	unsigned long counts[STATE_AUDIT_COUNTS] = {1, 2, 3, 4, 5};
	int n;

	memset(&h, 0, sizeof(h));
	h.gen = 0x0123456789abcdefULL;
	h.pid = 4242;
	h.started = 1700000000;
	h.written = 1700000002;
	n = state_header_format(&h, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "holdfast-state-index 2 gen=0123456789abcdef pid=4242 "
	                            "started=1700000000 written=1700000002 audit=-") == 0,
	      "header: the documented line, no audit");
	CHECK(state_header_parse(line, (size_t)n, &back) == 0 && back.gen == h.gen &&
	          back.pid == 4242 && back.started == h.started && back.written == h.written &&
	          !back.audit_done,
	      "header: parsed back");
	h.audit_done = 1;
	memcpy(h.audit, counts, sizeof(counts));
	n = state_header_format(&h, line, sizeof(line));
	CHECK(n > 0 && strstr(line, " audit=1,2,3,4,5") != NULL &&
	          state_header_parse(line, (size_t)n, &back) == 0 && back.audit_done &&
	          back.audit[0] == 1 && back.audit[4] == 5,
	      "header: audit counts in OK,INFO,WARNING,UNKNOWN,CRITICAL order");
	CHECK(state_header_parse("holdfast-state-index 1 gen=0123456789abcdef pid=1 started=1 "
	                         "written=1 audit=-",
	                         77, &back) == -1,
	      "header: another version (1, without a heartbeat) refused");
	CHECK(state_header_parse(line, (size_t)n - 2, &back) == -1,
	      "header: 4 audit counts refused");
	n = state_journal_header_format(h.gen, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "holdfast-state-journal 2 gen=0123456789abcdef") == 0,
	      "journal header");
	n = state_audit_format(1, counts, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "@audit 1,2,3,4,5") == 0, "journal audit line");
	n = state_audit_format(0, counts, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "@audit -") == 0, "journal audit line before any audit");
	n = state_beat_format(0, 1700000030, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "@beat 1700000030") == 0, "journal heartbeat line");
	n = state_beat_format(1, 1700000040, line, sizeof(line));
	CHECK(n > 0 && strcmp(line, "@stop 1700000040") == 0, "journal stop line");
}

/* The daemon.json member text of r, parsed, against state_record_json(r). */
static int json_same(const struct state_record *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *parsed, *want;
	int ok;

	fputs("{\n", f);
	state_record_json_write(f, r);
	fputs("\n}", f);
	fclose(f);
	parsed = json_loads(text, 0, NULL);
	want = state_record_json(r);
	ok = parsed != NULL && want != NULL && json_equal(json_object_get(parsed, r->name), want);
	json_decref(parsed);
	json_decref(want);
	free(text);
	return ok;
}

static void test_json(void)
{
	struct state_record r;
	json_t *o;

	sample(&r, "www");
	CHECK(json_same(&r), "json: daemon.json text = state_record_json (staple)");
	r.staple = 0;
	r.has_next_staple_refresh = 0;
	r.has_issue_error = 1;
	snprintf(r.issue_error, sizeof(r.issue_error), "quote \" backslash \\ tab \t é");
	CHECK(json_same(&r), "json: the same with escapes and no staple");
	r.has_staple_error = 1;
	snprintf(r.staple_error, sizeof(r.staple_error), "bad \xff utf-8");
	CHECK(json_same(&r), "json: a message that is not UTF-8 is null in both");
	o = state_record_json(&r);
	CHECK(o != NULL && json_object_size(o) == 18 &&
	          json_is_null(json_object_get(o, "verify")) &&
	          json_is_null(json_object_get(o, "deploy_at")) &&
	          json_array_size(json_object_get(o, "deploy_failed_targets")) == 0 &&
	          json_is_null(json_object_get(o, "last_staple_error")) &&
	          json_is_null(json_object_get(o, "staple_this_update")) &&
	          json_is_false(json_object_get(o, "staple")) &&
	          json_integer_value(json_object_get(o, "staple_failures")) == 3 &&
	          strcmp(json_string_value(json_object_get(o, "next_issue_check")),
	                 "2099-01-01T00:00:00Z") == 0,
	      "json: the 18 keys of daemon.json");
	json_decref(o);
	r.deploy_failed = 1;
	r.has_deploy_at = 1;
	r.deploy_at = 4070908800;
	r.has_deploy_targets = 1;
	snprintf(r.deploy_targets, sizeof(r.deploy_targets), "nginx deploy_hook");
	r.verify = STATE_VERIFY_FAILED;
	r.has_verify_at = 1;
	r.verify_at = 4070908800;
	r.has_verify_error = 1;
	snprintf(r.verify_error, sizeof(r.verify_error), "no staple served");
	CHECK(json_same(&r), "json: daemon.json text = state_record_json (deploy, verify)");
	o = state_record_json(&r);
	CHECK(o != NULL && json_array_size(json_object_get(o, "deploy_failed_targets")) == 2 &&
	          strcmp(json_string_value(
	                     json_array_get(json_object_get(o, "deploy_failed_targets"), 1)),
	                 "deploy_hook") == 0 &&
	          strcmp(json_string_value(json_object_get(o, "verify")), "failed") == 0 &&
	          strcmp(json_string_value(json_object_get(o, "verify_error")),
	                 "no staple served") == 0,
	      "json: failed targets as an array, verify and its error");
	json_decref(o);
}

static void test_heartbeat(void)
{
	const time_t now = 1700000000;

	CHECK(state_heartbeat_result(now, now, 0, 3600) == RESULT_OK, "heartbeat: just now: OK");
	CHECK(state_heartbeat_result(now, now - STATE_HEARTBEAT_LATE, 0, 3600) == RESULT_OK,
	      "heartbeat: exactly late: still OK");
	CHECK(state_heartbeat_result(now, now - STATE_HEARTBEAT_LATE - 1, 0, 3600) ==
	          RESULT_WARNING,
	      "heartbeat: a second past late: WARNING");
	CHECK(state_heartbeat_result(now, now - 3600, 0, 3600) == RESULT_WARNING,
	      "heartbeat: silent exactly the margin: WARNING");
	CHECK(state_heartbeat_result(now, now - 3601, 0, 3600) == RESULT_CRITICAL,
	      "heartbeat: silent past the margin: CRITICAL");
	CHECK(state_heartbeat_result(now, now - 5, 1, 3600) == RESULT_WARNING,
	      "heartbeat: stopped cleanly a moment ago: WARNING");
	CHECK(state_heartbeat_result(now, now - 3601, 1, 3600) == RESULT_CRITICAL,
	      "heartbeat: stopped past the margin: CRITICAL");
	CHECK(state_heartbeat_result(now, now - 30 * 86400, 0, 0) == RESULT_WARNING,
	      "heartbeat: a month old, no margin known: WARNING");
	CHECK(state_heartbeat_result(now, now + 100, 0, 60) == RESULT_OK,
	      "heartbeat: in the future (clock stepped back): OK");
	CHECK(state_heartbeat_result(now, now - 60, 0, 30) == RESULT_CRITICAL,
	      "heartbeat: a margin shorter than late: CRITICAL first");
}

static char store[] = "/tmp/holdfast-test-index.XXXXXX";

static void write_file(const char *file, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state/%s", store, file);
	f = fopen(path, "w");
	if (f != NULL) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
}

static void name_of(char *dst, size_t len, size_t i)
{
	snprintf(dst, len, "c%06zu", i * 2 + 1); /* odd numbers: even ones are absent */
}

static void test_reader(void)
{
	struct state_header h;
	struct state_record r, got;
	struct state_index *x;
	struct store *st = NULL;
	unsigned long counts[STATE_AUDIT_COUNTS];
	char path[512], line[STATE_RECORD_MAX], name[32], err[256];
	size_t i, bad = 0, missing = 0, extra = 0;
	char *base = NULL, *journal = NULL;
	size_t base_len = 0, journal_len = 0;
	FILE *f;
	int n;

	if (mkdtemp(store) == NULL) {
		CHECK(0, "reader: temporary store");
		return;
	}
	snprintf(path, sizeof(path), "%s/state", store);
	mkdir(path, 0755);
	st = store_open_dir(store, 0, err, sizeof(err));
	if (st == NULL) {
		CHECK(0, "reader: open the store");
		fprintf(stderr, "# %s\n", err);
		return;
	}
	errno = 0;
	CHECK(state_index_open(st) == NULL && errno == ENOENT, "open: no index: ENOENT");
	write_file("daemon.idx", "not an index\n", 13);
	CHECK(state_index_open(st) == NULL && errno == EBADMSG, "open: not an index: EBADMSG");

	memset(&h, 0, sizeof(h));
	h.gen = 77;
	h.pid = 1;
	h.written = 1700000001;
	h.audit_done = 1;
	h.audit[4] = 9;
	f = open_memstream(&base, &base_len);
	n = state_header_format(&h, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	for (i = 0; i < BIG; i++) {
		name_of(name, sizeof(name), i);
		sample(&r, name);
		r.staple_failures = (int)i;
		n = state_record_format(&r, line, sizeof(line));
		fprintf(f, "%.*s\n", n, line);
	}
	fclose(f);
	write_file("daemon.idx", base, base_len);

	x = state_index_open(st);
	CHECK(x != NULL, "open: a base of 100,000 records, no journal");
	for (i = 0; x != NULL && i < BIG; i++) {
		name_of(name, sizeof(name), i);
		if (state_index_find(x, name, &got) != 1)
			missing++;
		else if ((size_t)got.staple_failures != i || strcmp(got.name, name) != 0)
			bad++;
	}
	CHECK(x != NULL && missing == 0 && bad == 0, "find: every record, in name order");
	for (i = 0, missing = bad = 0; x != NULL && i < BIG; i++) {
		size_t k =
		    (i * 7919) % BIG; /* a permutation: 7919 is prime, BIG is not its multiple */
		name_of(name, sizeof(name), k);
		if (state_index_find(x, name, &got) != 1)
			missing++;
		else if ((size_t)got.staple_failures != k)
			bad++;
		snprintf(name, sizeof(name), "c%06zu", k * 2);
		extra += state_index_find(x, name, &got) != 0;
	}
	CHECK(x != NULL && missing == 0 && bad == 0, "find: every record, in random order");
	CHECK(extra == 0, "find: 100,000 absent names between them are absent");
	CHECK(x != NULL && state_index_find(x, "a", &got) == 0 &&
	          state_index_find(x, "zzz", &got) == 0 && state_index_find(x, "c", &got) == 0 &&
	          state_index_find(x, "c0000011", &got) == 0,
	      "find: before the first, after the last, prefixes");
	CHECK(x != NULL && state_index_audit(x, counts) == 1 && counts[4] == 9,
	      "audit: from the header");
	{
		time_t stopped = 1;
		CHECK(x != NULL && state_index_heartbeat(x, &stopped) == h.written && stopped == 0,
		      "heartbeat: the header's written= without a journal");
	}
	state_index_close(x);

	/* A journal of the same gen: its last line for a name wins; a torn last
	 * line is ignored. */
	f = open_memstream(&journal, &journal_len);
	n = state_journal_header_format(77, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	sample(&r, "c000001");
	r.staple_failures = 1001;
	n = state_record_format(&r, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	r.staple_failures = 1002;
	n = state_record_format(&r, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	sample(&r, "new");
	n = state_record_format(&r, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	n = state_audit_format(1, (unsigned long[]){1, 0, 0, 0, 0}, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	n = state_beat_format(0, 1700000060, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	n = state_beat_format(1, 1700000070, line, sizeof(line));
	fprintf(f, "%.*s\n", n, line);
	sample(&r, "c000003");
	r.staple_failures = 5555;
	n = state_record_format(&r, line, sizeof(line));
	fprintf(f, "%.*s", n - 3, line); /* torn */
	fclose(f);
	write_file("daemon.idx.log", journal, journal_len);
	x = state_index_open(st);
	CHECK(x != NULL && state_index_find(x, "c000001", &got) == 1 && got.staple_failures == 1002,
	      "journal: the last line for a name wins over the base");
	CHECK(x != NULL && state_index_find(x, "new", &got) == 1,
	      "journal: a name only in the journal");
	CHECK(x != NULL && state_index_find(x, "c000003", &got) == 1 && got.staple_failures == 1,
	      "journal: a torn last line is ignored");
	CHECK(x != NULL && state_index_audit(x, counts) == 1 && counts[0] == 1 && counts[4] == 0,
	      "journal: its audit line wins over the header");
	{
		time_t stopped = 0;
		CHECK(x != NULL && state_index_heartbeat(x, &stopped) == 1700000060 &&
		          stopped == 1700000070,
		      "heartbeat: the journal's last @beat, and its @stop after it");
	}
	state_index_close(x);

	/* Another gen: the journal is ignored. */
	memcpy(journal + strlen("holdfast-state-journal 2 gen=") + 14, "99", 2);
	write_file("daemon.idx.log", journal, journal_len);
	x = state_index_open(st);
	CHECK(x != NULL && state_index_find(x, "c000001", &got) == 1 && got.staple_failures == 0 &&
	          state_index_find(x, "new", &got) == 0,
	      "journal of another gen: ignored");
	state_index_close(x);
	state_index_close(NULL);

	snprintf(path, sizeof(path), "%s/state/daemon.idx", store);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state/daemon.idx.log", store);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", store);
	rmdir(path);
	rmdir(store);
	store_free(st);
	free(base);
	free(journal);
}

int main(void)
{
	test_format();
	test_headers();
	test_json();
	test_heartbeat();
	test_reader();
	return tap_done();
}
